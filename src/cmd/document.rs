//! `wangjian case document ID KIND --pdf|--html|--bundle -o FILE`: a thin call of
//! `sweep::documents::case_document`, the function the console calls too. The command line
//! acts for the whole bureau (`Scope::City`); custody names `$USER`.

use std::process::ExitCode;

use anyhow::bail;
use casework::documents::DocumentRefusal;
use domain::CaseId;
use store::Scope;
use sweep::documents::{CaseDocumentError, DocumentFormat, DocumentRequest, DocumentSetup};

use super::Ctx;
use crate::cli::DocumentArgs;

pub async fn document(ctx: &Ctx, args: DocumentArgs) -> anyhow::Result<ExitCode> {
    let format = match (args.pdf, args.html, args.bundle) {
        (true, false, false) => DocumentFormat::Pdf,
        (false, true, false) => DocumentFormat::Html,
        (false, false, true) => DocumentFormat::Bundle,
        _ => bail!("give one of --pdf, --html, --bundle"),
    };
    let store = ctx.data.open_store().await?;
    let templates = documents::Templates::open(&ctx.data.root)?;
    let browser = args
        .browser
        .clone()
        .or_else(crawl::browser::find_browser)
        .map(crawl::browser::BrowserConfig::new);
    let export = super::export_config(ctx)?;
    let setup = DocumentSetup {
        export: &export,
        templates: &templates,
        browser: browser.as_ref().ok_or("no browser (chromium) is installed"),
    };
    let reason = args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("制作{}", args.kind.title()));
    let case = CaseId(args.id);
    let made = sweep::documents::case_document(
        store.as_ref(),
        Scope::City,
        &setup,
        &ctx.config.documents.settings(),
        case,
        domain::time::beijing_date(chrono::Utc::now()),
        &DocumentRequest {
            kind: args.kind,
            format,
            output: args.output.clone(),
            actor: super::cli_actor(),
            reason,
        },
    )
    .await
    .map_err(|e| explain(case, e))?;
    println!(
        "document: {} {} -> {}",
        args.kind.title(),
        made.data.number,
        made.path.display()
    );
    for (a, e) in made.data.attachments.iter().zip(&made.exports) {
        println!(
            "package: {} sha256:{} ({} records; custody entry {})",
            a.file_name, a.sha256, e.records, e.custody.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A refusal as the operator is told it.
fn explain(case: CaseId, e: CaseDocumentError) -> anyhow::Error {
    match e {
        CaseDocumentError::Refused(DocumentRefusal::NoCase(_)) => {
            anyhow::anyhow!("no case {case}")
        }
        CaseDocumentError::Refused(DocumentRefusal::NoOutcome { kind, .. }) => anyhow::anyhow!(
            "case {case} has no {kind} outcome: record one (`case outcome {case} {}`) first",
            kind.code().replace('_', "-")
        ),
        CaseDocumentError::NoClue => anyhow::anyhow!("case {case} has no clue to attach"),
        CaseDocumentError::NoBrowser(why) => {
            anyhow::anyhow!("cannot print: {why} (give --browser PATH, or use --html)")
        }
        CaseDocumentError::Template(documents::DocumentError::Template {
            template,
            line,
            problem,
            detail,
        }) => anyhow::anyhow!(
            "the template {template} (in DATA/{}) is broken{}: {problem:?}: {detail}",
            documents::TEMPLATES_SUBDIR,
            line.map(|l| format!(" at line {l}")).unwrap_or_default()
        ),
        other => anyhow::Error::new(other).context("the document was not made"),
    }
}
