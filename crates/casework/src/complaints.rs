//! Complaints (投诉) and reports (举报), `../shared/spec/casework.md`: intake from the portal
//! or the hotline ([`file`]: every field checked, every problem named at once; the business
//! matched by USCC, else by the site its URL belongs to, else by its exact name; the district
//! assigned from the entity, else from the address given, else none — the city's), and the
//! staff's steps, each through `ComplaintState::after` and one store method that writes the
//! history and audit rows: [`accept`], [`refuse`], [`start_mediation`], [`end_mediation`],
//! [`verify`], [`link`], [`close`] (the outcome published, `upheld` feeding credit) and
//! [`dispatch`].
//!
//! Deadlines come from [`Limits`]: accept or refuse within `complaint_accept_days` working
//! days of receipt, mediation ends `mediation_days` working days after acceptance, a report
//! is verified within `report_verification_days` working days of receipt. The same contact,
//! subject and text within `complaint_duplicate_minutes` is refused and nothing is stored.
//!
//! Must not: know HTTP, or write sentences for people ([`ComplaintError`] is structured).

use chrono::NaiveDate;
use domain::{
    CaseId, ClueId, ComplaintChannel, ComplaintId, ComplaintKind, ComplaintOutcome, ComplaintState,
    ComplaintStep, ComplaintTransitionError, DistrictCode, DistrictTable, EntityId, TrackingNumber,
    Uscc,
};
use sha2::{Digest, Sha256};
use store::{
    Actor, Complainant, Complaint, ComplaintChange, ComplaintLinks, Intake, NewComplaint, Scope,
    StoreError, Subject,
};

use crate::clues::district_of_address;
use crate::Limits;

/// The longest complaint or report text, in characters.
pub const MAX_BODY: usize = 5000;
/// The longest name (the business's, the complainant's), in characters.
pub const MAX_NAME: usize = 100;
/// The longest address, URL, e-mail or published outcome line, in characters.
pub const MAX_LINE: usize = 500;

/// A field of the intake form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeField {
    /// Complaint, report or both.
    Kind,
    /// The business: at least one of its name, USCC or site URL.
    Subject,
    SubjectName,
    SubjectUscc,
    SubjectUrl,
    SubjectAddress,
    Body,
    Name,
    /// A phone number or an e-mail address: at least one.
    Contact,
    Phone,
    Email,
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    Missing,
    TooLong {
        max: usize,
    },
    /// Not a valid value of its kind (a USCC, a phone number, an e-mail, a URL), or it holds
    /// control characters.
    Invalid,
}

/// One problem of an intake form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IntakeProblem {
    pub field: IntakeField,
    pub problem: Problem,
}

/// A text field of a staff step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepField {
    Reason,
    Note,
    OutcomeText,
}

/// Why a complaint step is refused. Nothing was changed when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum ComplaintError {
    /// The intake form has problems (every one of them).
    #[error("the complaint has {} problem(s)", .0.len())]
    Intake(Vec<IntakeProblem>),
    /// The same complaint came in within the last minutes: nothing was stored.
    #[error("the same complaint was received a moment ago")]
    Duplicate,
    /// No such complaint in the caller's scope.
    #[error("no complaint {0}")]
    NotFound(ComplaintId),
    /// The state or the kind does not allow the step.
    #[error(transparent)]
    Transition(#[from] ComplaintTransitionError),
    /// A required text of a step is empty.
    #[error("{0:?} is required")]
    Missing(StepField),
    /// A text of a step is too long.
    #[error("{field:?} has more than {max} characters")]
    TooLong { field: StepField, max: usize },
    /// `refused` is published by refusing, not by closing.
    #[error("a complaint is closed with another outcome than refused")]
    RefusedIsNotAClosing,
    /// No such entity, clue or case in the caller's scope.
    #[error("no entity {0}")]
    NoEntity(EntityId),
    #[error("no clue {0}")]
    NoClue(ClueId),
    #[error("no case {0}")]
    NoCase(CaseId),
    /// A link step that names nothing to link.
    #[error("nothing to link")]
    NothingToLink,
    /// Not a current district of the table.
    #[error("{0} is not a current district")]
    UnknownDistrict(DistrictCode),
    /// A closed or refused complaint is not dispatched.
    #[error("complaint {0} is closed")]
    Closed(ComplaintId),
    /// Another person's step got there first.
    #[error("changed meanwhile: {0}")]
    Changed(String),
    /// The operating system's random source failed.
    #[error("no random source: {0}")]
    Random(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ComplaintError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ComplaintError::Changed(what),
            other => ComplaintError::Store(other),
        }
    }
}

/// A complaint as submitted (the portal's form or the hotline's entry), unchecked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntakeForm {
    pub kind: Option<ComplaintKind>,
    pub subject_name: String,
    pub subject_uscc: String,
    pub subject_url: String,
    pub subject_address: String,
    pub body: String,
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// The checked form: what will be stored, or every problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedIntake {
    pub kind: ComplaintKind,
    pub subject: Subject,
    pub body: String,
    pub complainant: Complainant,
    /// The parsed USCC and the URL's host and path, for matching.
    uscc: Option<Uscc>,
    url: Option<url::Url>,
}

/// Whether `s` holds a control character (line breaks allowed when `multiline`).
fn has_control(s: &str, multiline: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

fn field(
    problems: &mut Vec<IntakeProblem>,
    field: IntakeField,
    value: &str,
    max: usize,
    multiline: bool,
) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let problem = if v.chars().count() > max {
        Some(Problem::TooLong { max })
    } else if has_control(v, multiline) {
        Some(Problem::Invalid)
    } else {
        None
    };
    match problem {
        Some(problem) => {
            problems.push(IntakeProblem { field, problem });
            None
        }
        None => Some(v.to_string()),
    }
}

fn valid_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let rest = s.trim_start_matches('+');
    (7..=15).contains(&digits)
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '(' | ')'))
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
}

/// A site's address as typed: a full `http(s)` URL, or a bare host (`shop.example.cn/path`).
fn site_url(s: &str) -> Option<url::Url> {
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    let u = url::Url::parse(&with_scheme).ok()?;
    (matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| h.contains('.')))
        .then_some(u)
}

/// Checks an intake form: every problem at once, or what will be stored.
pub fn check_intake(form: &IntakeForm) -> Result<CheckedIntake, ComplaintError> {
    use IntakeField as F;
    let mut problems = Vec::new();
    let missing = |field| IntakeProblem {
        field,
        problem: Problem::Missing,
    };
    let kind = form.kind;
    let name = field(
        &mut problems,
        F::SubjectName,
        &form.subject_name,
        MAX_NAME,
        false,
    );
    let uscc_text = field(
        &mut problems,
        F::SubjectUscc,
        &form.subject_uscc,
        18 + 8,
        false,
    );
    let url_text = field(
        &mut problems,
        F::SubjectUrl,
        &form.subject_url,
        MAX_LINE,
        false,
    );
    let address = field(
        &mut problems,
        F::SubjectAddress,
        &form.subject_address,
        MAX_LINE,
        false,
    );
    let body = field(&mut problems, F::Body, &form.body, MAX_BODY, true);
    let person = field(&mut problems, F::Name, &form.name, MAX_NAME, false);
    let phone = field(&mut problems, F::Phone, &form.phone, 32, false);
    let email = field(&mut problems, F::Email, &form.email, 254, false);
    let uscc = match uscc_text.as_deref().map(Uscc::parse) {
        Some(Ok(u)) => Some(u),
        Some(Err(_)) => {
            problems.push(IntakeProblem {
                field: F::SubjectUscc,
                problem: Problem::Invalid,
            });
            None
        }
        None => None,
    };
    let url = match url_text.as_deref().map(site_url) {
        Some(Some(u)) => Some(u),
        Some(None) => {
            problems.push(IntakeProblem {
                field: F::SubjectUrl,
                problem: Problem::Invalid,
            });
            None
        }
        None => None,
    };
    if phone.as_deref().is_some_and(|p| !valid_phone(p)) {
        problems.push(IntakeProblem {
            field: F::Phone,
            problem: Problem::Invalid,
        });
    }
    if email.as_deref().is_some_and(|e| !valid_email(e)) {
        problems.push(IntakeProblem {
            field: F::Email,
            problem: Problem::Invalid,
        });
    }
    let given = |v: &str| !v.trim().is_empty();
    if !given(&form.subject_name) && !given(&form.subject_uscc) && !given(&form.subject_url) {
        problems.push(missing(F::Subject));
    }
    if !given(&form.body) {
        problems.push(missing(F::Body));
    }
    if !given(&form.name) {
        problems.push(missing(F::Name));
    }
    if !given(&form.phone) && !given(&form.email) {
        problems.push(missing(F::Contact));
    }
    if kind.is_none() {
        problems.insert(0, missing(F::Kind));
    }
    let (Some(kind), true) = (kind, problems.is_empty()) else {
        return Err(ComplaintError::Intake(dedup(problems)));
    };
    let subject_name = name
        .clone()
        .or_else(|| uscc.as_ref().map(|u| u.to_string()))
        .or_else(|| url.as_ref().and_then(|u| u.host_str().map(str::to_string)))
        .unwrap_or_default();
    Ok(CheckedIntake {
        kind,
        subject: Subject {
            name: subject_name,
            uscc: uscc.as_ref().map(|u| u.to_string()),
            url: url.as_ref().map(|u| u.to_string()),
            address,
        },
        body: body.unwrap_or_default(),
        complainant: Complainant {
            name: person.unwrap_or_default(),
            phone,
            email,
        },
        uscc,
        url,
    })
}

fn dedup(mut problems: Vec<IntakeProblem>) -> Vec<IntakeProblem> {
    let mut seen = Vec::new();
    problems.retain(|p| {
        let new = !seen.contains(&p.field);
        seen.push(p.field);
        new
    });
    problems
}

/// The SHA-256 of the normalized contact, subject and text: case folded, runs of whitespace
/// made one space, fields separated by NUL.
pub fn dedup_hash(c: &CheckedIntake) -> String {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let mut h = Sha256::new();
    for part in [
        c.complainant.name.as_str(),
        c.complainant.phone.as_deref().unwrap_or(""),
        c.complainant.email.as_deref().unwrap_or(""),
        c.subject.name.as_str(),
        c.subject.uscc.as_deref().unwrap_or(""),
        c.subject.url.as_deref().unwrap_or(""),
        c.body.as_str(),
    ] {
        h.update(norm(part).as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// Who a complaint is about, as matched, and its district.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Matched {
    pub entity: Option<EntityId>,
    pub site: Option<domain::SiteId>,
    pub district: Option<DistrictCode>,
}

/// Matches the business: by USCC, else by the site its URL belongs to, else by exact name
/// (one entity only); the district is the entity's, else the one the address names.
pub async fn match_subject(
    store: &dyn store::Store,
    districts: &DistrictTable,
    c: &CheckedIntake,
    today: NaiveDate,
) -> Result<Matched, ComplaintError> {
    let mut m = Matched::default();
    if let Some(u) = &c.uscc {
        if let Some(e) = store.entity_by_uscc(Scope::City, u.as_str()).await? {
            m.entity = Some(e.id);
            m.district = Some(e.input.district);
        }
    }
    if let Some(url) = &c.url {
        let host = url.host_str().unwrap_or_default();
        if let Some(site) = store.site_for_url(Scope::City, host, url.path()).await? {
            m.site = Some(site.id);
            if m.entity.is_none() {
                m.entity = site.entity_id;
                m.district = site.district;
            }
        }
    }
    if m.entity.is_none() && !c.subject.name.is_empty() {
        let found = store.entities_by_name(Scope::City, &c.subject.name).await?;
        if let [e] = found.as_slice() {
            m.entity = Some(e.id);
            m.district = Some(e.input.district);
        }
    }
    if m.district.is_none() {
        m.district = c
            .subject
            .address
            .as_deref()
            .and_then(|a| district_of_address(districts, a, today));
    }
    Ok(m)
}

/// A fresh tracking number for a complaint received on `day`.
pub fn new_tracking_number(day: NaiveDate) -> Result<TrackingNumber, ComplaintError> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| ComplaintError::Random(e.to_string()))?;
    Ok(TrackingNumber::new(day, u64::from_le_bytes(b)))
}

/// Intake (the portal's form, the hotline's entry): checks the form, matches the business,
/// assigns the district, sets the deadlines and stores it with a new tracking number, unless
/// the same complaint came in within the duplicate window (then nothing is stored).
pub async fn file(
    store: &dyn store::Store,
    districts: &DistrictTable,
    limits: &Limits,
    form: &IntakeForm,
    channel: ComplaintChannel,
    today: NaiveDate,
    by: &Actor,
) -> Result<Complaint, ComplaintError> {
    let checked = check_intake(form)?;
    let matched = match_subject(store, districts, &checked, today).await?;
    let cal = limits.calendar();
    let new = NewComplaint {
        tracking_number: new_tracking_number(today)?,
        kind: checked.kind,
        channel,
        entity_id: matched.entity,
        site_id: matched.site,
        district: matched.district,
        dedup_hash: dedup_hash(&checked),
        accept_by: cal.add_working_days(today, limits.complaint_accept_days),
        verify_by: checked
            .kind
            .has_report()
            .then(|| cal.add_working_days(today, limits.report_verification_days)),
        subject: checked.subject,
        body: checked.body,
        complainant: checked.complainant,
    };
    let window = chrono::Duration::minutes(limits.complaint_duplicate_minutes.into());
    match store.file_complaint(&new, window, by).await? {
        Intake::Filed(c) => Ok(*c),
        Intake::Duplicate => Err(ComplaintError::Duplicate),
    }
}

async fn find(
    store: &dyn store::Store,
    scope: Scope,
    id: ComplaintId,
) -> Result<Complaint, ComplaintError> {
    store
        .complaint(scope, id)
        .await?
        .ok_or(ComplaintError::NotFound(id))
}

fn text(
    field: StepField,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ComplaintError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(ComplaintError::TooLong { field, max });
    }
    Ok(Some(v.to_string()))
}

/// One step through the transition function and the store.
async fn step(
    store: &dyn store::Store,
    c: &Complaint,
    step: ComplaintStep,
    change: impl FnOnce(ComplaintChange) -> ComplaintChange,
    by: &Actor,
) -> Result<ComplaintState, ComplaintError> {
    let to = c.state.after(c.kind, step)?;
    let base = ComplaintChange {
        from: c.state,
        to,
        action: step.code(),
        note: None,
        mediation_ends_by: None,
        outcome: None,
        upheld: None,
    };
    store.step_complaint(c.id, &change(base), by).await?;
    Ok(to)
}

/// Accepts a received complaint (受理).
pub async fn accept(
    store: &dyn store::Store,
    scope: Scope,
    id: ComplaintId,
    note: Option<&str>,
    by: &Actor,
) -> Result<ComplaintState, ComplaintError> {
    let c = find(store, scope, id).await?;
    let note = text(StepField::Note, note, MAX_LINE)?;
    step(
        store,
        &c,
        ComplaintStep::Accept,
        |ch| ComplaintChange { note, ..ch },
        by,
    )
    .await
}

/// Refuses a received complaint (不予受理): the reason is published to the complainant.
pub async fn refuse(
    store: &dyn store::Store,
    scope: Scope,
    id: ComplaintId,
    reason: &str,
    by: &Actor,
) -> Result<ComplaintState, ComplaintError> {
    let c = find(store, scope, id).await?;
    let reason = text(StepField::Reason, Some(reason), MAX_LINE)?
        .ok_or(ComplaintError::Missing(StepField::Reason))?;
    step(
        store,
        &c,
        ComplaintStep::Refuse,
        |ch| ComplaintChange {
            outcome: Some((ComplaintOutcome::Refused, reason)),
            ..ch
        },
        by,
    )
    .await
}

/// Starts mediation of an accepted complaint; it ends `mediation_days` working days after
/// acceptance.
pub async fn start_mediation(
    store: &dyn store::Store,
    scope: Scope,
    id: ComplaintId,
    limits: &Limits,
    today: NaiveDate,
    by: &Actor,
) -> Result<ComplaintState, ComplaintError> {
    let c = find(store, scope, id).await?;
    let accepted = c.accepted_at.map(|t| t.date_naive()).unwrap_or(today);
    let ends = limits
        .calendar()
        .add_working_days(accepted, limits.mediation_days);
    step(
        store,
        &c,
        ComplaintStep::StartMediation,
        |ch| ComplaintChange {
            mediation_ends_by: Some(ends),
            ..ch
        },
        by,
    )
    .await
}

/// Ends a mediation: agreed, or not (终止调解).
pub async fn end_mediation(
    store: &dyn store::Store,
    scope: Scope,
    id: ComplaintId,
    agreed: bool,
    note: Option<&str>,
    by: &Actor,
) -> Result<ComplaintState, ComplaintError> {
    let c = find(store, scope, id).await?;
    let note = text(StepField::Note, note, MAX_LINE)?;
    step(
        store,
        &c,
        ComplaintStep::EndMediation { agreed },
        |ch| ComplaintChange { note, ..ch },
        by,
    )
    .await
}

/// Records a report's verification (link the clue or case with [`link`]).
pub async fn verify(
    store: &dyn store::Store,
    scope: Scope,
    id: ComplaintId,
    found: bool,
    note: Option<&str>,
    by: &Actor,
) -> Result<ComplaintState, ComplaintError> {
    let c = find(store, scope, id).await?;
    let note = text(StepField::Note, note, MAX_LINE)?;
    step(
        store,
        &c,
        ComplaintStep::Verify { found },
        |ch| ComplaintChange { note, ..ch },
        by,
    )
    .await
}

/// Links an entity, a clue or a case, each looked up in the caller's scope first.
pub async fn link(
    store: &dyn store::Store,
    scope: Scope,
    id: ComplaintId,
    links: ComplaintLinks,
    by: &Actor,
) -> Result<(), ComplaintError> {
    let c = find(store, scope.clone(), id).await?;
    if links == ComplaintLinks::default() {
        return Err(ComplaintError::NothingToLink);
    }
    if let Some(e) = links.entity {
        store
            .entity(scope.clone(), e)
            .await?
            .ok_or(ComplaintError::NoEntity(e))?;
    }
    if let Some(k) = links.clue {
        store
            .clue(scope.clone(), k)
            .await?
            .ok_or(ComplaintError::NoClue(k))?;
    }
    if let Some(k) = links.case {
        store
            .case(scope.clone(), k)
            .await?
            .ok_or(ComplaintError::NoCase(k))?;
    }
    store.link_complaint(c.id, &links, by).await?;
    Ok(())
}

/// Closes a complaint with the outcome published to the complainant and whether it was
/// upheld (属实: an upheld complaint counts against its entity's credit).
pub async fn close(
    store: &dyn store::Store,
    scope: Scope,
    id: ComplaintId,
    outcome: ComplaintOutcome,
    outcome_text: &str,
    upheld: bool,
    by: &Actor,
) -> Result<ComplaintState, ComplaintError> {
    let c = find(store, scope, id).await?;
    if outcome == ComplaintOutcome::Refused {
        return Err(ComplaintError::RefusedIsNotAClosing);
    }
    let published = text(StepField::OutcomeText, Some(outcome_text), MAX_BODY)?
        .ok_or(ComplaintError::Missing(StepField::OutcomeText))?;
    step(
        store,
        &c,
        ComplaintStep::Close,
        |ch| ComplaintChange {
            outcome: Some((outcome, published)),
            upheld: Some(upheld),
            ..ch
        },
        by,
    )
    .await
}

/// Assigns an open complaint to another district (the city's job), with a reason.
#[allow(clippy::too_many_arguments)]
pub async fn dispatch(
    store: &dyn store::Store,
    scope: Scope,
    id: ComplaintId,
    district: DistrictCode,
    districts: &DistrictTable,
    reason: &str,
    today: NaiveDate,
    by: &Actor,
) -> Result<(), ComplaintError> {
    let c = find(store, scope, id).await?;
    if !districts
        .current(today)
        .any(|d| d.code == district && d.code.as_u32() % 100 != 0)
    {
        return Err(ComplaintError::UnknownDistrict(district));
    }
    let reason = text(StepField::Reason, Some(reason), MAX_LINE)?
        .ok_or(ComplaintError::Missing(StepField::Reason))?;
    if !c.state.is_open() {
        return Err(ComplaintError::Closed(id));
    }
    store
        .dispatch_complaint(c.id, district, &reason, by)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> IntakeForm {
        IntakeForm {
            kind: Some(ComplaintKind::Complaint),
            subject_name: "某网店".into(),
            body: "买到假货".into(),
            name: "张三".into(),
            phone: "13800000000".into(),
            ..IntakeForm::default()
        }
    }

    #[test]
    fn urls_phones_and_emails() {
        assert!(site_url("shop.example.cn/a").is_some());
        assert!(site_url("javascript:alert(1)").is_none());
        assert!(site_url("ftp://x.cn").is_none());
        assert!(valid_phone("0771-1234567") && valid_phone("+86 138 0000 0000"));
        assert!(!valid_phone("12345") && !valid_phone("1380000000a"));
        assert!(valid_email("a@b.cn") && !valid_email("a@b") && !valid_email("<a>@b.cn"));
        assert!(check_intake(&form()).is_ok());
    }

    #[test]
    fn the_hash_ignores_case_and_spacing() {
        let a = check_intake(&form()).unwrap();
        let mut f = form();
        f.body = "  买到假货 ".into();
        let b = check_intake(&f).unwrap();
        assert_eq!(dedup_hash(&a), dedup_hash(&b));
        f.body = "买到真货".into();
        assert_ne!(dedup_hash(&a), dedup_hash(&check_intake(&f).unwrap()));
    }
}
