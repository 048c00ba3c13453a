//! `wangjian sample plan|draw|list|show|replay|result`: random inspections (双随机、一公开),
//! through the same functions as the console (`sampling`). `sample replay` needs no
//! database: it reads the publication's file only.

use super::Ctx;
use crate::cli::{OutputFormat, SampleCommand, SamplePlanCommand, SamplePlanCreateArgs};
use anyhow::{bail, Context};
use domain::{CreditClass, DrawId, InspectionId, SamplingPlanId};
use sampling::plan::PlanInput;
use sampling::Who;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::ExitCode;
use store::{PopulationFilter, SamplingPlan, Scope};

fn operator() -> Who {
    Who::operator(super::cli_actor())
}

pub async fn sample(ctx: &Ctx, cmd: SampleCommand) -> anyhow::Result<ExitCode> {
    if let SampleCommand::Replay { file, format } = cmd {
        return replay(&file, format);
    }
    let store = ctx.data.open_store().await?;
    let s = store.as_ref();
    let mut out = std::io::stdout().lock();
    match cmd {
        SampleCommand::Replay { .. } => unreachable!("handled above"),
        SampleCommand::Plan(SamplePlanCommand::Create(args)) => {
            let input = plan_input(s, *args).await?;
            let p = sampling::plan::create(s, &operator(), &input).await?;
            writeln!(out, "sampling plan {}: {}", p.id, p.name)?;
        }
        SampleCommand::Plan(SamplePlanCommand::List { format }) => {
            let plans = s.list_sampling_plans().await?;
            match format {
                OutputFormat::Json => {
                    for p in &plans {
                        writeln!(out, "{}", plan_json(p))?;
                    }
                }
                OutputFormat::Text => {
                    if plans.is_empty() {
                        writeln!(out, "no sampling plans")?;
                    } else {
                        writeln!(out, "ID\tSTATE\tRATIOS\tPOOL\tNAME")?;
                    }
                    for p in &plans {
                        writeln!(
                            out,
                            "{}\t{}\t{}\t{}\t{}",
                            p.id,
                            p.state.code(),
                            ratios_text(p),
                            p.inspectors.len(),
                            p.name
                        )?;
                    }
                }
            }
        }
        SampleCommand::Plan(SamplePlanCommand::Show { id, format }) => {
            let id = SamplingPlanId(id);
            let p = s
                .sampling_plan(id)
                .await?
                .with_context(|| format!("no sampling plan {id}"))?;
            let draws = s.list_draws(Scope::City, Some(id)).await?;
            match format {
                OutputFormat::Json => {
                    let mut v = plan_json(&p);
                    v["draws"] = serde_json::to_value(&draws)?;
                    writeln!(out, "{v}")?;
                }
                OutputFormat::Text => {
                    writeln!(
                        out,
                        "sampling plan {}: {} ({})",
                        p.id,
                        p.name,
                        p.state.code()
                    )?;
                    writeln!(out, "items:    {}", p.items.join("; "))?;
                    writeln!(out, "filter:   {}", p.filter.to_json())?;
                    writeln!(out, "ratios:   {}", ratios_text(&p))?;
                    writeln!(
                        out,
                        "rules:    {} inspector(s) per entity, same district {}",
                        p.inspectors_per_entity,
                        if p.exclude_same_district {
                            "excluded"
                        } else {
                            "allowed"
                        }
                    )?;
                    let pool: Vec<&str> =
                        p.inspectors.iter().map(|i| i.username.as_str()).collect();
                    writeln!(out, "pool:     {}", pool.join(", "))?;
                    for d in &draws {
                        writeln!(
                            out,
                            "draw {}\t{}\t{} selected\t{} done\tseed {:?}",
                            d.id,
                            domain::time::shown(d.drawn_at),
                            d.selected,
                            d.done,
                            d.seed
                        )?;
                    }
                }
            }
        }
        SampleCommand::Plan(SamplePlanCommand::Close { id }) => {
            let p = sampling::plan::close(s, &operator(), SamplingPlanId(id)).await?;
            writeln!(out, "sampling plan {}: closed", p.id)?;
        }
        SampleCommand::Draw { plan, seed, format } => {
            let seed = seed.unwrap_or_else(sampling::random_seed);
            let d = sampling::run(s, &operator(), SamplingPlanId(plan), &seed).await?;
            let p = sampling::publication(s, &operator(), d.id).await?;
            match format {
                OutputFormat::Json => {
                    let v = serde_json::json!({
                        "draw": p.draw,
                        "plan": p.plan,
                        "algorithm": p.algorithm,
                        "seed": p.seed,
                        "drawn_at": p.drawn_at,
                        "ratios": p.ratios,
                        "population_size": p.population_size,
                        "selected": p.selected.iter().map(|e| serde_json::json!({
                            "uscc": e.uscc,
                            "name": e.name,
                            "class": e.class.code(),
                            "district": e.district,
                            "inspectors": e.inspectors,
                        })).collect::<Vec<_>>(),
                    });
                    writeln!(out, "{v}")?;
                }
                OutputFormat::Text => {
                    writeln!(
                        out,
                        "draw {} of plan {}: seed {:?}, {} of {} selected",
                        p.draw,
                        p.plan.id,
                        p.seed,
                        p.selected.len(),
                        p.population.len()
                    )?;
                    selected_text(&mut out, &p)?;
                }
            }
        }
        SampleCommand::List { plan, format } => {
            let draws = s.list_draws(Scope::City, plan.map(SamplingPlanId)).await?;
            match format {
                OutputFormat::Json => {
                    for d in &draws {
                        writeln!(out, "{}", serde_json::to_string(d)?)?;
                    }
                }
                OutputFormat::Text => {
                    if draws.is_empty() {
                        writeln!(out, "no draws")?;
                    } else {
                        writeln!(out, "ID\tPLAN\tDRAWN\tSELECTED\tDONE\tSEED")?;
                    }
                    for d in &draws {
                        writeln!(
                            out,
                            "{}\t{}\t{}\t{}\t{}\t{:?}",
                            d.id,
                            d.plan_id,
                            domain::time::shown(d.drawn_at),
                            d.selected,
                            d.done,
                            d.seed
                        )?;
                    }
                }
            }
        }
        SampleCommand::Show { draw, format } => {
            let p = sampling::publication(s, &operator(), DrawId(draw)).await?;
            match format {
                OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&p)?)?,
                OutputFormat::Text => {
                    writeln!(
                        out,
                        "draw {} of plan {} ({}): {}",
                        p.draw, p.plan.id, p.plan.name, p.algorithm
                    )?;
                    writeln!(out, "seed:       {:?}", p.seed)?;
                    writeln!(out, "drawn at:   {}", domain::time::shown(p.drawn_at))?;
                    let sizes: Vec<String> = p
                        .population_size
                        .iter()
                        .map(|(c, n)| format!("{c} {n}"))
                        .collect();
                    writeln!(out, "population: {}", sizes.join(", "))?;
                    selected_text(&mut out, &p)?;
                }
            }
        }
        SampleCommand::Result {
            draw,
            uscc,
            inspection,
        } => {
            let e = sampling::link_result(
                s,
                &operator(),
                DrawId(draw),
                &uscc,
                InspectionId(inspection),
            )
            .await?;
            writeln!(
                out,
                "draw {draw}: {} {} — inspection {inspection}",
                e.uscc, e.name
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn selected_text(out: &mut impl Write, p: &sampling::drawing::Publication) -> anyhow::Result<()> {
    writeln!(out, "USCC\tCLASS\tDISTRICT\tINSPECTORS\tRESULT\tNAME")?;
    for e in &p.selected {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}",
            e.uscc,
            e.class.code(),
            e.district,
            e.inspectors.join(","),
            e.result
                .as_ref()
                .map(|r| format!("{} (inspection {})", r.result.code(), r.inspection))
                .unwrap_or_else(|| "-".into()),
            e.name
        )?;
    }
    Ok(())
}

fn replay(file: &std::path::Path, format: OutputFormat) -> anyhow::Result<ExitCode> {
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    let r = sampling::replay(&text)?;
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(&r)?)?,
        OutputFormat::Text => {
            if r.matches {
                writeln!(
                    out,
                    "matches: the seed selects the {} published entities with their inspectors",
                    r.selected.len()
                )?;
            } else {
                writeln!(out, "DOES NOT MATCH")?;
                for u in &r.missing {
                    writeln!(out, "selected by the seed, not published: {u}")?;
                }
                for u in &r.extra {
                    writeln!(out, "published, not selected by the seed: {u}")?;
                }
                for u in &r.inspectors_differ {
                    writeln!(out, "other inspectors than the seed assigns: {u}")?;
                }
            }
        }
    }
    Ok(if r.matches {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn plan_input(
    store: &dyn store::Store,
    args: SamplePlanCreateArgs,
) -> anyhow::Result<PlanInput> {
    // Repeatable flags also take comma-separated lists.
    let codes = |list: &[String]| -> Vec<String> {
        list.iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let mut filter = PopulationFilter::default();
    for d in codes(&args.districts) {
        filter
            .districts
            .push(domain::DistrictCode::parse(&d).with_context(|| format!("--district {d}"))?);
    }
    for k in codes(&args.kinds) {
        filter
            .kinds
            .push(k.parse().with_context(|| format!("--kind {k}"))?);
    }
    for f in codes(&args.legal_forms) {
        filter
            .legal_forms
            .push(f.parse().with_context(|| format!("--legal-form {f}"))?);
    }
    for c in codes(&args.classes) {
        filter
            .classes
            .push(c.parse().with_context(|| format!("--class {c}"))?);
    }
    let mut ratios: BTreeMap<CreditClass, String> = sampling::plan::default_ratios(store)
        .await
        .0
        .into_iter()
        .map(|(c, r)| (c, r.to_string()))
        .collect();
    for given in &args.ratios {
        let Some((class, ratio)) = given.split_once('=') else {
            bail!("--ratio {given:?}: expected CLASS=RATIO, e.g. C=0.3");
        };
        let class: CreditClass = class
            .parse()
            .with_context(|| format!("--ratio {given:?}"))?;
        ratios.insert(class, ratio.trim().to_string());
    }
    Ok(PlanInput {
        name: args.name,
        items: args.items,
        filter,
        ratios,
        exclude_same_district: !args.allow_same_district,
        inspectors_per_entity: args.inspectors_per_entity,
        inspectors: codes(&args.inspectors),
    })
}

fn ratios_text(p: &SamplingPlan) -> String {
    p.ratios
        .iter()
        .map(|(c, r)| format!("{}={r}", c.code()))
        .collect::<Vec<_>>()
        .join(",")
}

/// A plan as JSON: codes for classes, the pool by username.
fn plan_json(p: &SamplingPlan) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "name": p.name,
        "state": p.state.code(),
        "items": p.items,
        "filter": p.filter.to_json(),
        "ratios": p.ratios.iter().map(|(c, r)| (c.code().to_string(), serde_json::json!(r)))
            .collect::<serde_json::Map<_, _>>(),
        "exclude_same_district": p.exclude_same_district,
        "inspectors_per_entity": p.inspectors_per_entity,
        "inspectors": p.inspectors.iter().map(|i| serde_json::json!({
            "username": i.username,
            "display_name": i.display_name,
            "districts": i.districts,
        })).collect::<Vec<_>>(),
        "created_at": p.created_at,
        "created_by": p.created_by,
    })
}
