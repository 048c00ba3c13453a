use detect::{extract, Link};

#[test]
fn title_meta_text_links_forms_images() {
    let p = extract(
        r#"<!DOCTYPE html><html><head><meta charset="gbk">
        <title>南宁&middot;茶叶&nbsp;商城</title>
        <meta name="keywords" content="茶叶,绿茶">
        <meta name="description" content="&#x5168;&#x7F51;茶叶">
        <meta http-equiv="refresh" content="0;url=/x">
        <script>document.write('全网最低')</script><style>p{}</style>
        </head><body>
        <h1>欢迎</h1><div>第一行<br>第二行</div>
        <ul><li>甲</li><li>乙</li></ul>
        <table><tr><td>品名</td><td>价格</td></tr><tr><td>龙井</td><td>￥128</td></tr></table>
        <a href="https://a.example/?x=1&amp;y=2"> 关于 <i>我们</i> </a>
        <form action="/reg"><label for=m>手机号码</label><input id=m name="mobile" placeholder="请输入手机号">
        <textarea name="addr" placeholder="收货地址"></textarea><input type="submit" value="提交"></form>
        <input name="q" placeholder="搜索">
        <img src="/logo.png" alt="商城&amp;标志"><img src="/x.png">
        <noscript>开启脚本</noscript><template><p>模板</p></template>
        </body></html>"#,
    );
    assert_eq!(p.title, "南宁·茶叶\u{A0}商城");
    assert_eq!(
        p.metas[0],
        ("keywords".to_string(), "茶叶,绿茶".to_string())
    );
    assert_eq!(p.metas[1].1, "全网茶叶");
    assert_eq!(p.metas[2].0, "refresh");
    assert_eq!(
        p.text,
        "欢迎\n第一行\n第二行\n甲\n乙\n品名 价格\n龙井 ￥128\n关于 我们\n手机号码 提交\n全网最低",
        "text that a script writes into the page is read after the page"
    );
    assert!(!p.text.contains("模板") && !p.text.contains("开启脚本"));
    assert_eq!(
        p.links,
        [Link {
            href: "https://a.example/?x=1&y=2".into(),
            anchor: "关于 我们".into(),
            hidden: false,
            noscript: false,
        }]
    );
    assert_eq!(p.forms.len(), 2);
    assert_eq!(
        p.forms[0].inputs,
        ["手机号码", "mobile 请输入手机号", "addr 收货地址"]
    );
    assert_eq!(p.forms[1].inputs, ["q 搜索"]);
    assert_eq!(
        p.images,
        [
            ("/logo.png".to_string(), "商城&标志".to_string()),
            ("/x.png".to_string(), String::new())
        ]
    );
}

#[test]
fn entities_in_text_are_decoded() {
    let p = extract("<p>&#x7B2C;&#x4E00; &lt;b&gt; &amp;amp; &yen;5 &unknown;</p>");
    assert_eq!(p.text, "第一 <b> &amp; ¥5 &unknown;");
}

#[test]
fn unclosed_and_nested_links() {
    let p = extract("<a href=1>one<a href=2>two</a> after <a href=3>three");
    let anchors: Vec<_> = p.links.iter().map(|l| l.anchor.as_str()).collect();
    assert_eq!(anchors, ["one", "two", "three"]);
}
