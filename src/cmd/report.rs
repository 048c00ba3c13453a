//! `wangjian report`: the bureau's work report over a period or a campaign, as HTML, PDF or
//! XLSX — the console's `/reports` through the same functions (`web::report`).

use super::Ctx;
use crate::cli::ReportArgs;
use anyhow::{bail, Context};
use std::process::ExitCode;
use store::Scope;

pub async fn report(ctx: &Ctx, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let ext = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !matches!(ext.as_str(), "html" | "pdf" | "xlsx") {
        bail!(
            "the output file {} must end in .html, .pdf or .xlsx",
            args.output.display()
        );
    }
    let district = args
        .district
        .as_deref()
        .map(domain::DistrictCode::parse)
        .transpose()
        .context("--district")?;
    let store = ctx.data.open_store().await?;
    let campaign = args.campaign.map(domain::CampaignId);
    if campaign.is_none() && (args.from.is_none() || args.to.is_none()) {
        bail!("give --campaign ID, or --from DATE --to DATE");
    }
    let today = domain::time::beijing_date(chrono::Utc::now());
    let req = web::report::request(
        store.as_ref(),
        campaign,
        args.from,
        args.to,
        district,
        today,
    )
    .await?;
    let districts = domain::DistrictTable::nanning();
    let report = web::report::build(
        store.as_ref(),
        &districts,
        Scope::City,
        &req,
        &ctx.config.documents.bureau.value,
        chrono::Utc::now(),
    )
    .await?;
    let bytes = match ext.as_str() {
        "xlsx" => {
            let mut out = Vec::new();
            web::report::write_xlsx(&report, &districts, &mut out)?;
            out
        }
        "html" => web::report::document_html(&report, &districts, args.console_url.as_deref())?
            .into_bytes(),
        _ => {
            let program = args
                .browser
                .clone()
                .or_else(crawl::browser::find_browser)
                .context("printing a PDF needs Chromium: apt-get install chromium")?;
            let browser = crawl::browser::BrowserConfig::new(program);
            let html =
                web::report::document_html(&report, &districts, args.console_url.as_deref())?;
            tokio::task::spawn_blocking(move || {
                crawl::browser::print_pdf(&browser, &html, crawl::browser::Margins::default())
            })
            .await?
            .context("printing the report")?
        }
    };
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let figures: usize = report.sections.iter().map(|s| s.figures.len()).sum();
    let records: i64 = report
        .sections
        .iter()
        .flat_map(|s| &s.figures)
        .map(|f| f.total_records)
        .sum();
    println!(
        "report: {} {} -> {} ({} sections, {figures} figures, {records} records)",
        report.title,
        report.period_label(),
        args.output.display(),
        report.sections.len(),
    );
    Ok(ExitCode::SUCCESS)
}
