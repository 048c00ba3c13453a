//! The demo's credit: the index system in the data directory loaded and every entity scored,
//! a third-party evaluation by the demo evaluator, and a random-inspection plan drawn once
//! with a published seed — through the same crate functions as the console and the command
//! line.

use super::Ctx;
use anyhow::Context;
use credit::index::ensure_file;
use credit::lists::Caller;
use credit::rescore;
use domain::CreditClass;
use store::{Actor, Scope, Store};

pub async fn credit(ctx: &Ctx, store: &dyn Store) -> anyhow::Result<()> {
    let today = domain::time::beijing_date(chrono::Utc::now());
    // Once per data directory (the demo may run again over it).
    if !store.list_sampling_plans().await?.is_empty() {
        return Ok(());
    }
    if store.current_credit_index().await?.is_none() {
        let path = ensure_file(&ctx.data.root)
            .with_context(|| format!("cannot write {}", ctx.data.root.display()))?;
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        rescore::load_index(store, &text, &Actor::system("demo"), None).await?;
    }
    // The evaluator's first assigned entity gets an evaluation (the index's source
    // `evaluation.score`).
    if let Some(evaluator) = store.user_by_name("evaluator").await? {
        let by = Caller::user(&evaluator, None);
        if let Some(entity) = store
            .list_entities(by.scope.clone(), &store::EntityFilter::default())
            .await?
            .first()
        {
            credit::evaluations::add(
                store,
                &by,
                entity.id,
                82,
                today,
                "网店信息公示完整，售后响应及时；个别商品页价格标示不规范。",
            )
            .await?;
        }
    }
    let report = rescore::rescore_all(store, today).await?;
    let mut classes = [0u64; 4];
    for c in store.credit_distribution(Scope::City).await? {
        classes[CreditClass::ALL
            .iter()
            .position(|x| *x == c.class)
            .unwrap_or(3)] += c.count as u64;
    }
    println!(
        "credit: {} entities scored with index {} (A {}, B {}, C {}, D {}) in {:.2} s",
        report.entities,
        report.version,
        classes[0],
        classes[1],
        classes[2],
        classes[3],
        report.elapsed.as_secs_f64()
    );

    // A random-inspection plan over the city with the index's ratios, drawn once.
    let supervisor = store
        .user_by_name("supervisor")
        .await?
        .context("the demo user supervisor is missing")?;
    let who = sampling::Who::user(&supervisor, None);
    let input = sampling::plan::PlanInput {
        name: "网络交易经营者双随机抽查（演示）".into(),
        items: vec![
            "亮照亮证经营".into(),
            "商品和服务信息公示".into(),
            "七日无理由退货制度执行".into(),
        ],
        filter: store::PopulationFilter::default(),
        ratios: sampling::plan::default_ratios(store)
            .await
            .0
            .into_iter()
            .map(|(c, r)| (c, r.to_string()))
            .collect(),
        exclude_same_district: true,
        inspectors_per_entity: None,
        inspectors: ["supervisor", "admin", "xingning1", "xingning2"]
            .map(String::from)
            .to_vec(),
    };
    let plan = sampling::plan::create(store, &who, &input).await?;
    let seed = sampling::random_seed();
    let draw = sampling::run(store, &who, plan.id, &seed).await?;
    println!(
        "sampling: plan {} drew {} entities with seed {seed} (draw {})",
        plan.id,
        draw.entities.len(),
        draw.id
    );
    Ok(())
}
