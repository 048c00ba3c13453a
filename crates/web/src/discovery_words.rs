//! The words of a discovered site in the console: its source, its state, each sighting (a
//! linking page, a filing, a certificate), its city indicators, the matcher's proposal, the
//! site it imitates, a CT log's failure — the one place that says them in Chinese, for the
//! queue (`pages/discovered.rs`) and its export. The matches have no catch-all arm where the
//! type is ours, so a new variant does not compile until it has its words.

use domain::locality::Indicator;
use domain::lookalike::How;
use store::{Discovered, DiscoverySource, DiscoveryState, ProposalBasis, Sighting};

/// A source in Chinese.
pub(crate) fn source_label(s: DiscoverySource) -> &'static str {
    match s {
        DiscoverySource::Link => "链接发现",
        DiscoverySource::Filing => "部门数据",
        DiscoverySource::Ct => "证书透明日志",
    }
}

/// A discovery's state in Chinese.
pub(crate) fn state_label(s: DiscoveryState) -> &'static str {
    match s {
        DiscoveryState::Unverified => "待核属地",
        DiscoveryState::New => "待确认",
        DiscoveryState::Confirmed => "已确认",
        DiscoveryState::Rejected => "已排除",
        DiscoveryState::Remote => "非本地（不跟进）",
    }
}

/// How many hops from the register, in words.
pub(crate) fn hops_label(d: &Discovered) -> String {
    match (d.source, d.hops) {
        (DiscoverySource::Link, 1) => "登记网站直接链接".to_string(),
        (DiscoverySource::Link, n) => format!("经 {n} 层链接"),
        (_, 1) => String::new(),
        (_, n) => format!("经 {n} 层"),
    }
}

/// One sighting in words: the linking page, the filing or the certificate.
pub(crate) fn sighting_text(s: &Sighting) -> String {
    if let Some(f) = &s.filing {
        let mut parts = vec![format!(
            "{}数据 {}（{}）",
            filing_source_label(&f.source),
            f.record_key,
            f.domain
        )];
        if let Some(n) = &f.name {
            parts.push(format!("主办单位 {n}"));
        }
        if let Some(u) = &f.uscc {
            parts.push(format!("信用代码 {u}"));
        }
        if let Some(n) = f
            .number
            .as_ref()
            .filter(|n| Some(*n) != Some(&f.record_key))
        {
            parts.push(format!("编号 {n}"));
        }
        return parts.join("，");
    }
    if let Some(c) = &s.certificate {
        let mut parts = vec![format!(
            "证书透明日志 {} 第 {} 条{}",
            c.log,
            c.index,
            if c.precert { "（预证书）" } else { "" }
        )];
        parts.push(format!("域名 {}", c.names.join(" ")));
        if let Some(o) = &c.organization {
            parts.push(format!("O={o}"));
        }
        if let Some(l) = &c.locality {
            parts.push(format!("L={l}"));
        }
        parts.push(format!("签发 {}", c.issuer));
        parts.push(format!("指纹 {}", c.fingerprint));
        return parts.join("，");
    }
    let mut t = s.from_url.clone();
    if !s.anchor.is_empty() {
        t.push_str(&format!(" 「{}」", s.anchor));
    }
    if s.hidden {
        t.push_str("（隐藏链接）");
    }
    if let Some(e) = &s.evidence {
        t.push_str(&format!(" {}:{}", e.warc_file, e.offset));
    }
    t
}

/// A department's source name in Chinese (the built-in ones; another stays as configured).
pub(crate) fn filing_source_label(source: &str) -> String {
    match source {
        "telecom" => "通信管理部门备案".to_string(),
        "food" => "食品经营许可".to_string(),
        "finance" => "金融监管许可".to_string(),
        "tax" => "税务登记".to_string(),
        other => other.to_string(),
    }
}

/// A city indicator in words.
pub(crate) fn indicator_text(i: &Indicator) -> String {
    match i {
        Indicator::Address(v) => format!("地址 {v}"),
        Indicator::Phone(v) => format!("电话 {v}"),
        Indicator::Icp(v) => format!("备案号 {v}"),
        Indicator::Uscc(v) => format!("信用代码 {v}"),
        Indicator::Organization(v) => format!("证书单位 {v}"),
        Indicator::Locality(v) => format!("证书所在地 {v}"),
    }
}

/// Why the matcher proposes an entity, in words.
pub(crate) fn proposal_text(b: &ProposalBasis) -> String {
    match b {
        ProposalBasis::Uscc { uscc } => format!("页面显示登记主体的信用代码 {uscc}"),
        ProposalBasis::Icp { icp } => format!("页面显示主体登记的备案号 {icp}"),
        ProposalBasis::Name { name, former } => {
            if *former {
                format!("页面经营者名称 {name} 为主体曾用名")
            } else {
                format!("页面经营者名称 {name} 与主体名称一致")
            }
        }
        ProposalBasis::Filing { source, uscc, .. } => {
            format!("{}数据载明主体信用代码 {uscc}", filing_source_label(source))
        }
        ProposalBasis::Subdomain { registered_host } => {
            format!("为登记网站 {registered_host} 的子域名")
        }
        ProposalBasis::Text { text } => text.clone(),
    }
}

/// How a host imitates a registered one, in words.
pub(crate) fn imitation_text(host: &str, how: &How) -> String {
    let way = match how {
        How::EditDistance(n) => format!("与其相差 {n} 个字符"),
        How::Homoglyph => "以形近字符仿冒".to_string(),
        How::AddedWord(w) => format!("在其名称上添加 “{w}”"),
        How::OtherSuffix => "同名异后缀".to_string(),
    };
    format!("仿 {host}（{way}）")
}

/// A CT log failure's code in Chinese.
pub(crate) fn ct_failure_label(code: &str) -> &'static str {
    match code {
        "bad_signature" => "树头签名无效，未予信任",
        "inconsistent" => "与此前信任的树头不一致，未予信任",
        "entries_do_not_match" => "条目与签名树根不符，未予信任",
        "size_shrank" => "日志规模缩小，未予信任",
        "bad_position" => "保存的读取位置不属于该日志",
        "unsupported_key" => "日志公钥不是 ECDSA P-256 公钥",
        "unreachable" => "无法连接",
        "http_status" => "日志返回错误状态",
        "malformed" => "日志应答格式错误",
        _ => "读取失败",
    }
}
