//! Rendering each kind from the data directory's templates: escaping, errors naming the
//! template and line, and an edited template taking effect.

use documents::{DocumentError, DocumentKind, TemplateProblem, Templates};

use crate::{sample, RECORD_DIGEST, WACZ_SHA};

#[test]
fn every_kind_renders_with_its_title_case_and_evidence() {
    let data_dir = tempfile::tempdir().unwrap();
    let templates = Templates::open(data_dir.path()).unwrap();
    let data = sample();
    for kind in DocumentKind::ALL {
        let html = templates.render(kind, &data).unwrap();
        assert!(
            html.contains(&format!(">{}</h1>", kind.title())),
            "{kind}: {html}"
        );
        assert!(html.contains("南市监网案〔2026〕7号"), "{kind}");
        assert!(html.contains(RECORD_DIGEST), "{kind}");
        assert!(
            html.contains("&lt;urn:uuid:6f1e2d3c-4b5a-4968-8776-655443322110&gt;"),
            "{kind}"
        );
        assert!(html.contains("sweep-1-00000.warc.gz@1234"), "{kind}");
        assert!(
            html.contains("clue-3.wacz") && html.contains(WACZ_SHA),
            "{kind}"
        );
        assert!(html.contains("2026年3月5日"), "{kind}: the date");
        // Fetched 02:30 UTC = 10:30 Beijing time.
        assert!(html.contains("2026-02-18 10:30:00"), "{kind}");
        assert!(html.contains("未亮照经营"), "{kind}");
        // Values are escaped: the party's name holds `<好>`.
        assert!(html.contains("南宁市青秀区&lt;好&gt;货商行"), "{kind}");
        assert!(!html.contains("<好>"), "{kind}");
        assert!(
            !html.contains("none"),
            "{kind}: an empty value printed as none"
        );
    }
    let notice = templates
        .render(DocumentKind::Rectification, &data)
        .unwrap();
    assert!(notice.contains("于2026年3月20日前改正"));
    let referral = templates.render(DocumentKind::Referral, &data).unwrap();
    assert!(referral.contains("南宁市通信管理局：") && referral.contains("网站未取得ICP备案"));
    let warning = templates.render(DocumentKind::Warning, &data).unwrap();
    assert!(warning.contains("首次发现，情节轻微"));
    let cover = templates.render(DocumentKind::Cover, &data).unwrap();
    assert!(cover.contains("李明、王芳"));
    assert!(
        cover.contains("责令改正：限2026年3月20日前改正，复查未改正"),
        "{cover}"
    );
    assert!(cover.contains("行政处罚：南市监网罚〔2026〕3号，罚款5000.00元</div>"));
    assert!(cover.contains("列入经营异常名录：公示信息隐瞒真实情况、弄虚作假</div>"));
}

#[test]
fn optional_fields_may_be_absent() {
    let data_dir = tempfile::tempdir().unwrap();
    let templates = Templates::open(data_dir.path()).unwrap();
    let mut data = sample();
    data.entity.uscc = None;
    data.entity.address = None;
    data.deadline = None;
    data.urls.clear();
    data.referral = None;
    data.reason = None;
    data.outcomes.clear();
    data.evidence.clear();
    data.attachments.clear();
    for kind in DocumentKind::ALL {
        let html = templates.render(kind, &data).unwrap();
        assert!(!html.contains("none"), "{kind}: {html}");
        assert!(!html.contains("clue-3.wacz"), "{kind}");
    }
    let notice = templates
        .render(DocumentKind::Rectification, &data)
        .unwrap();
    assert!(notice.contains("立即改正上述违法行为"));
}

#[test]
fn templates_are_written_once_and_an_edit_is_used() {
    let data_dir = tempfile::tempdir().unwrap();
    let templates = Templates::open(data_dir.path()).unwrap();
    let dir = data_dir.path().join("templates/documents");
    assert_eq!(templates.dir(), dir);
    for kind in DocumentKind::ALL {
        assert_eq!(
            std::fs::read_to_string(dir.join(kind.template_name())).unwrap(),
            kind.shipped_template()
        );
    }
    // The bureau edits the warning letter; opening again (a new run) keeps the edit, and the
    // next rendering uses it.
    let edited =
        "<h1>{{ kind_title }}</h1><p>{{ entity.name }} 请于三日内自查 {{ case.number }}</p>";
    std::fs::write(dir.join("warning.html"), edited).unwrap();
    let templates = Templates::open(data_dir.path()).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("warning.html")).unwrap(),
        edited
    );
    let html = templates.render(DocumentKind::Warning, &sample()).unwrap();
    assert_eq!(
        html,
        "<h1>警示函</h1><p>南宁市青秀区&lt;好&gt;货商行 请于三日内自查 南市监网案〔2026〕7号</p>"
    );
    // A removed template is written again from the shipped one.
    std::fs::remove_file(dir.join("cover.html")).unwrap();
    let html = templates.render(DocumentKind::Cover, &sample()).unwrap();
    assert!(html.contains(">案卷封面</h1>"));
    assert!(dir.join("cover.html").is_file());
}

#[test]
fn a_missing_field_names_the_template_and_line() {
    let data_dir = tempfile::tempdir().unwrap();
    let templates = Templates::open(data_dir.path()).unwrap();
    let dir = data_dir.path().join("templates/documents");
    std::fs::write(
        dir.join("referral.html"),
        "<h1>案件移送函</h1>\n<p>{{ entity.name }}</p>\n<p>传真：{{ entity.fax }}</p>\n",
    )
    .unwrap();
    let err = templates
        .render(DocumentKind::Referral, &sample())
        .unwrap_err();
    match err {
        DocumentError::Template {
            template,
            line,
            problem,
            ..
        } => {
            assert_eq!(template, "referral.html");
            assert_eq!(line, Some(3));
            assert_eq!(problem, TemplateProblem::MissingVariable);
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn a_syntax_error_names_the_template_and_line() {
    let data_dir = tempfile::tempdir().unwrap();
    let templates = Templates::open(data_dir.path()).unwrap();
    let dir = data_dir.path().join("templates/documents");
    std::fs::write(
        dir.join("rectification.html"),
        "<h1>责令改正通知书</h1>\n\n{% for v in violations %}\n<p>{{ v.title }}</p>\n",
    )
    .unwrap();
    let err = templates
        .render(DocumentKind::Rectification, &sample())
        .unwrap_err();
    match err {
        DocumentError::Template {
            template,
            line,
            problem,
            ..
        } => {
            assert_eq!(template, "rectification.html");
            assert_eq!(problem, TemplateProblem::Syntax);
            assert!(line.is_some_and(|l| l >= 3), "{line:?}");
        }
        e => panic!("{e:?}"),
    }
    // An unknown filter is its own problem.
    std::fs::write(dir.join("cover.html"), "<p>{{ date | lunar }}</p>").unwrap();
    let err = templates
        .render(DocumentKind::Cover, &sample())
        .unwrap_err();
    assert!(
        matches!(
            err,
            DocumentError::Template {
                problem: TemplateProblem::UnknownName,
                line: Some(1),
                ..
            }
        ),
        "{err:?}"
    );
}
