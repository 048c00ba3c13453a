//! The console in a real browser: Debian's Chromium, headless, driven through chromedriver
//! (WebDriver, `fantoccini`) against `wangjian serve` on loopback, over a demo data directory
//! whose users were added with `wangjian user add`. People log in through the form, triage,
//! make clues and are refused where their role, a missing CSRF token or a locked account says
//! so. A machine without Chromium or chromedriver installs them (as `.ci/run` does) or fails:
//! these tests never skip.
//!
//! The harness ([`Console`], [`Driver`], [`Browser`]) is shared by every scenario; a scenario is
//! a sequence of `login`, `goto`, `fill`, `check`, `click_button` and `page_text`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::capture::{apt_install, chromium};
use crate::users::with_stdin;
use crate::{run, serving_process, stdout, wangjian};

/// 兴宁区, the district the inspectors of these tests work in.
pub(crate) const XINGNING: &str = "450102";
const XINGNING_LABEL: &str = "兴宁区 450102";
/// The password every test user gets.
pub(crate) const PASSWORD: &str = "browser test password";

/// Debian's chromedriver (package chromium-driver, the same version as chromium), installed
/// with apt when missing; fails when it cannot be.
fn chromedriver() -> PathBuf {
    let path = PathBuf::from("/usr/bin/chromedriver");
    if !path.is_file() {
        apt_install(&["chromium-driver"]);
    }
    assert!(
        path.is_file(),
        "chromedriver is needed for the browser tests: apt-get install chromium-driver"
    );
    path
}

/// A child process killed when dropped.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads lines of a child's stdout until `find` returns something; the rest of the output is
/// drained on a thread so that the child never blocks on a full pipe.
fn read_until<T>(out: ChildStdout, what: &str, find: impl Fn(&str) -> Option<T>) -> T {
    let mut lines = BufReader::new(out);
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = lines.read_line(&mut line).unwrap();
        assert!(n > 0, "{what} ended before it was ready:\n{seen}");
        if let Some(found) = find(&line) {
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut lines.into_inner(), &mut std::io::sink());
            });
            return found;
        }
        seen.push_str(&line);
    }
}

/// chromedriver on a loopback port of its own choosing.
pub(crate) struct Driver {
    _process: Killed,
    url: String,
}

/// chromedriver's `/shutdown` ends its sessions and their browsers too, also those of a test
/// that failed before closing its [`Browser`]; killing the driver alone would leave them.
impl Drop for Driver {
    fn drop(&mut self) {
        let addr = self.url.trim_start_matches("http://");
        if let Ok(mut conn) = std::net::TcpStream::connect(addr) {
            let request =
                format!("GET /shutdown HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            if conn.write_all(request.as_bytes()).is_ok() {
                let _ = conn.read_to_end(&mut Vec::new());
            }
        }
    }
}

impl Driver {
    pub(crate) fn start() -> Driver {
        let mut child = Command::new(chromedriver())
            .args(["--port=0", "--allowed-ips=127.0.0.1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let out = child.stdout.take().unwrap();
        let process = Killed(child);
        let port: u16 = read_until(out, "chromedriver", |l| {
            l.split("started successfully on port ")
                .nth(1)
                .and_then(|p| p.trim().trim_end_matches('.').parse().ok())
        });
        Driver {
            _process: process,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

/// A demo data directory with users added through the CLI, served by `wangjian serve`.
pub(crate) struct Console {
    _process: Killed,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub(crate) base: String,
}

impl Console {
    /// `wangjian demo --no-serve` with enough sites that 兴宁区 has findings (16 give two of its
    /// sites findings, among a dozen sites in other districts), then `serve` on a free loopback
    /// port.
    pub(crate) fn start() -> Console {
        let dir = tempfile::tempdir().unwrap();
        let out = run(wangjian(dir.path()).args(["demo", "--sites", "16", "--no-serve"]));
        assert!(out.status.success());
        Console::serving(dir, &["serve", "--addr", "127.0.0.1:0"])
    }

    /// `wangjian demo --sites 16` serving: simweb stays up while the console runs, so that a
    /// confirmed capture can fetch its page (the console listens on a free loopback port).
    fn start_demo() -> Console {
        Console::start_demo_with(&[])
    }

    /// [`Console::start_demo`] with settings from the environment (`WANGJIAN_*`).
    fn start_demo_with(env: &[(&str, &str)]) -> Console {
        let dir = tempfile::tempdir().unwrap();
        Console::serving_with(dir, &["demo", "--sites", "16"], env)
    }

    /// Runs `wangjian ARGS` on `dir` (stderr to a log there) until its `console: URL` line.
    fn serving(dir: tempfile::TempDir, args: &[&str]) -> Console {
        Console::serving_with(dir, args, &[])
    }

    fn serving_with(dir: tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Console {
        let data = dir.path();
        let log = std::fs::File::create(data.join("console.log")).unwrap();
        let mut child = serving_process(data)
            .args(args)
            .envs(env.iter().copied())
            .env("WANGJIAN_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("wangjian starts");
        let out = child.stdout.take().unwrap();
        let process = Killed(child);
        let base = read_until(out, &format!("wangjian {}", args[0]), |l| {
            l.strip_prefix("console: ")
                .map(|u| u.trim().trim_end_matches('/').to_string())
        });
        Console {
            _process: process,
            dir,
            base,
        }
    }

    /// The address of a registered 兴宁区 site's homepage (`wangjian sites --format json`).
    pub(crate) fn xingning_homepage(&self) -> String {
        let out = run(wangjian(self.data()).args(["sites", "--format", "json"]));
        assert!(out.status.success());
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|s| {
                s["district"] == XINGNING && s["path_prefix"] == "" && s["origin"] == "register"
            })
            .map(|s| format!("http://{}/", s["host"].as_str().unwrap()))
            .expect("a 兴宁区 site")
    }

    pub(crate) fn data(&self) -> &Path {
        self.dir.path()
    }

    /// `wangjian user add NAME --role ROLE [--district D]… --password-stdin`.
    pub(crate) fn add_user(&self, name: &str, role: &str, districts: &[&str]) {
        let mut cmd = wangjian(self.data());
        cmd.args(["user", "add", name, "--role", role, "--password-stdin"]);
        for d in districts {
            cmd.args(["--district", d]);
        }
        let out = with_stdin(&mut cmd, &format!("{PASSWORD}\n"));
        assert!(out.status.success(), "{out:?}");
    }

    /// `wangjian finding rules --format json`: triage counts per rule.
    fn rule_counts(&self) -> String {
        let out = run(wangjian(self.data()).args(["finding", "rules", "--format", "json"]));
        assert!(out.status.success());
        stdout(&out)
    }
}

/// One headless Chromium (its own temporary profile) in a WebDriver session, pointed at a
/// console.
pub(crate) struct Browser {
    pub(crate) client: Client,
    base: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub(crate) async fn start(driver: &Driver, base: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a chromedriver session with headless Chromium");
        Browser {
            client,
            base: base.to_string(),
            _profile: profile,
        }
    }

    /// Opens a path of the console (`/findings`).
    pub(crate) async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    /// The current path and query (`/findings/3`).
    pub(crate) async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Logs in through the login form (the one shown, which may carry a page to return to,
    /// else `/login`); the caller checks where that led.
    pub(crate) async fn login(&self, user: &str, password: &str) {
        if !self.path().await.starts_with("/login") {
            self.goto("/login").await;
        }
        self.fill("username", user).await;
        self.fill("password", password).await;
        self.click_button("登录").await;
    }

    /// Logs out with the top bar's button; the login page follows.
    pub(crate) async fn logout(&self) {
        self.click_button("退出登录").await;
        assert_eq!(self.path().await, "/login", "{}", self.page_text().await);
    }

    /// Types `value` into the form field named `name` (emptied first).
    pub(crate) async fn fill(&self, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("[name='{name}']")))
            .await
            .unwrap_or_else(|e| panic!("no field {name}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Ticks the radio button or checkbox named `name` with this `value`.
    pub(crate) async fn check(&self, name: &str, value: &str) {
        self.client
            .find(Locator::Css(&format!(
                "input[name='{name}'][value='{value}']"
            )))
            .await
            .unwrap_or_else(|e| panic!("no {name}={value}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks the button whose text is `text` (every button of the console submits a form) and
    /// waits until the page the form leads to has loaded. chromedriver alone does not wait for
    /// a POST's redirect.
    pub(crate) async fn click_button(&self, text: &str) {
        let Some(button) = self.button(text).await else {
            panic!("no button {text:?} on {}", self.path().await)
        };
        // A mark on the old page's window; a new document comes with a new window object.
        self.script("window.wjOldPage = true;").await;
        button.click().await.unwrap();
        let loaded = "return !window.wjOldPage && document.readyState === 'complete';";
        // While the page changes, a script may fail: that is not yet loaded either.
        while self.client.execute(loaded, vec![]).await.ok() != Some(json!(true)) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The button whose text is `text`, if the page has one.
    pub(crate) async fn button(&self, text: &str) -> Option<fantoccini::elements::Element> {
        let xpath = format!("//button[normalize-space()='{text}']");
        self.client
            .find_all(Locator::XPath(&xpath))
            .await
            .unwrap()
            .into_iter()
            .next()
    }

    /// What the page shows, as a person reads it.
    pub(crate) async fn page_text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The HTTP status of the page shown (Navigation Timing's `responseStatus`).
    pub(crate) async fn status(&self) -> u64 {
        let v = self
            .script("return performance.getEntriesByType('navigation')[0].responseStatus;")
            .await;
        v.as_u64()
            .unwrap_or_else(|| panic!("no response status: {v}"))
    }

    /// Runs JavaScript in the page; a returned promise is awaited.
    pub(crate) async fn script(&self, js: &str) -> Value {
        self.client
            .execute(js, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{js}"))
    }

    pub(crate) async fn close(self) {
        self.client.close().await.unwrap();
    }
}

/// One row of the findings table as the browser shows it.
#[derive(Debug, serde::Deserialize)]
struct Row {
    id: i64,
    site: String,
    district: String,
    triage: String,
}

/// The rows of the findings table on the current page.
async fn finding_rows(b: &Browser) -> Vec<Row> {
    let rows = b
        .script(
            "return [...document.querySelectorAll('table.findings tbody tr')].map(tr => {
                const cells = [...tr.children];
                const link = tr.querySelector('a[href^=\"/findings/\"]');
                const site = tr.querySelector('a[href^=\"/sites/\"]');
                return {
                    id: Number(link.getAttribute('href').split('/').pop()),
                    site: site.getAttribute('href'),
                    district: site.parentElement.querySelector('small').innerText.trim(),
                    triage: cells[cells.length - 2].innerText.trim(),
                };
            });",
        )
        .await;
    serde_json::from_value(rows).unwrap()
}

/// Every row of /findings, page after page.
async fn all_finding_rows(b: &Browser) -> Vec<Row> {
    let mut all = Vec::new();
    for page in 1.. {
        b.goto(&format!("/findings?page={page}")).await;
        assert_eq!(b.status().await, 200, "{}", b.page_text().await);
        let rows = finding_rows(b).await;
        if rows.is_empty() {
            break;
        }
        all.extend(rows);
    }
    all
}

/// The triage state a finding's page shows.
async fn triage_state(b: &Browser, id: i64) -> String {
    b.goto(&format!("/findings/{id}")).await;
    b.client
        .find(Locator::Css("dl.facts .triage"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The console as an inspector of 兴宁区 uses it, then as an auditor, then with a forged form
/// and a guessed password: each refusal is what the server decides, seen through a real browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_in_a_browser_scopes_triages_makes_clues_and_refuses() {
    let console = Console::start();
    console.add_user("insp", "inspector", &[XINGNING]);
    console.add_user("audit", "auditor", &[]);
    console.add_user("guess", "inspector", &[XINGNING]);
    let driver = Driver::start();
    let b = Browser::start(&driver, &console.base).await;

    let seen = inspector_scope_triage_and_clue(&b, &console).await;
    form_without_its_token_is_refused(&b, seen.confirmed, seen.clue[0]).await;
    b.logout().await;
    auditor_reads_but_cannot_triage(&b, &console, &seen).await;
    b.logout().await;
    five_wrong_passwords_lock_the_account(&b).await;
    b.close().await;
}

/// What the inspector's scenario saw and did.
struct Seen {
    /// Every finding the inspector was shown.
    listed: Vec<i64>,
    /// The finding the inspector confirmed.
    confirmed: i64,
    /// The two findings (of one site) the inspector made a clue of.
    clue: [i64; 2],
}

/// An inspector of 兴宁区 logs in through the form, sees only 兴宁区's findings, confirms one and
/// makes a clue of two findings of one site.
async fn inspector_scope_triage_and_clue(b: &Browser, console: &Console) -> Seen {
    // Not logged in: the console sends the browser to the login form, which comes back.
    b.goto("/findings").await;
    assert!(b.path().await.starts_with("/login"), "{}", b.path().await);
    b.login("insp", PASSWORD).await;
    assert_eq!(b.path().await, "/findings", "{}", b.page_text().await);

    let rows = all_finding_rows(b).await;
    assert!(
        rows.len() >= 3,
        "the demo should give 兴宁区 findings: {rows:?}"
    );
    for r in &rows {
        assert_eq!(
            r.district, XINGNING_LABEL,
            "an inspector of 兴宁区 sees {r:?}"
        );
    }

    // Two open findings of one site for the clue, a third open one to confirm.
    let mut by_site: Vec<(&str, Vec<i64>)> = Vec::new();
    for r in rows.iter().filter(|r| r.triage == "待研判") {
        match by_site.iter_mut().find(|(s, _)| *s == r.site) {
            Some((_, ids)) => ids.push(r.id),
            None => by_site.push((&r.site, vec![r.id])),
        }
    }
    let (site, ids) = by_site
        .iter()
        .find(|(_, ids)| ids.len() >= 2)
        .unwrap_or_else(|| panic!("no site in 兴宁区 with two open findings: {rows:?}"));
    let pair = [ids[0], ids[1]];
    let triaged = rows
        .iter()
        .find(|r| r.triage == "待研判" && !pair.contains(&r.id))
        .expect("a third open finding")
        .id;

    // Triage through the finding's form.
    assert_eq!(triage_state(b, triaged).await, "待研判");
    b.check("decision", "confirmed").await;
    b.fill("reason", "页面含绝对化用语，属实").await;
    b.click_button("提交研判").await;
    assert_eq!(b.path().await, format!("/findings/{triaged}"));
    assert_eq!(triage_state(b, triaged).await, "已确认");
    assert!(
        b.page_text().await.contains("页面含绝对化用语，属实"),
        "the reason is shown"
    );

    // The sweep grouped the findings into clues dispatched to 兴宁区: the district answers
    // those holding the pair "not verified" (insufficient evidence), which frees the findings
    // for a clue of the inspector's own.
    let out = run(wangjian(console.data()).args([
        "clue",
        "list",
        "--state",
        "dispatched",
        "--format",
        "json",
    ]));
    assert!(out.status.success());
    let mut holding: Vec<i64> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|c| {
            c["findings"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| pair.contains(&f.as_i64().unwrap())))
        })
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    holding.dedup();
    assert!(!holding.is_empty(), "the sweep's clues hold the pair");
    for c in holding {
        b.goto(&format!("/clues/{c}")).await;
        b.check("answer", "not_verified").await;
        b.script(
            "document.querySelector('select[name=reason]').value = 'insufficient_evidence'; \
             return true;",
        )
        .await;
        b.click_button("提交反馈").await;
        let text = b.page_text().await;
        assert!(text.contains("不予立案"), "clue {c}: {text}");
    }

    // A clue from two selected findings of one site, on the page that lists them.
    b.goto(&format!(
        "/findings?site={}",
        site.trim_start_matches("/sites/")
    ))
    .await;
    for id in pair {
        b.check("finding", &id.to_string()).await;
    }
    b.fill("summary", "兴宁区网店绝对化用语").await;
    b.click_button("将所选发现生成线索").await;
    let path = b.path().await;
    let shown = b.page_text().await;
    let clue = path
        .strip_prefix("/clues/")
        .and_then(|p| p.strip_suffix("/record"))
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("not a clue's record page: {path}\n{shown}"));
    assert_eq!(b.status().await, 200);
    let text = b.page_text().await;
    assert!(text.contains("兴宁区网店绝对化用语"), "{text}");
    for id in pair {
        assert!(
            text.contains(&format!("#{id}")),
            "finding {id} in clue {clue}: {text}"
        );
    }
    b.goto("/clues").await;
    assert!(
        b.page_text().await.contains("兴宁区网店绝对化用语"),
        "the clue is listed"
    );
    Seen {
        listed: rows.iter().map(|r| r.id).collect(),
        confirmed: triaged,
        clue: pair,
    }
}

/// A triage form whose hidden CSRF field was removed is refused with the 403 page, and the
/// finding stays open; the same form with its token is accepted (so the token is what counted).
async fn form_without_its_token_is_refused(b: &Browser, confirmed: i64, open: i64) {
    assert_eq!(triage_state(b, open).await, "待研判");
    let removed = b
        .script(
            "const f = document.querySelector('form.triage-form input[name=csrf]');
             if (!f) return false; f.remove(); return true;",
        )
        .await;
    assert_eq!(removed, json!(true), "the triage form has a csrf field");
    b.check("decision", "dismissed").await;
    b.fill("reason", "无证据").await;
    b.click_button("提交研判").await;
    assert_eq!(b.status().await, 403);
    let text = b.page_text().await;
    assert!(text.contains("403") && text.contains("CSRF"), "{text}");
    assert_eq!(triage_state(b, open).await, "待研判", "nothing changed");
    assert_eq!(triage_state(b, confirmed).await, "已确认");

    // The same form with its token goes through.
    b.goto(&format!("/findings/{open}")).await;
    b.check("decision", "dismissed").await;
    b.fill("reason", "无证据").await;
    b.click_button("提交研判").await;
    assert_eq!(b.status().await, 200, "{}", b.page_text().await);
    assert_eq!(triage_state(b, open).await, "已驳回");
}

/// An auditor reads the findings and a finding's page but is offered no triage or clue form,
/// and a triage form the test builds into the page, posted with the auditor's cookie and a
/// valid CSRF token, is refused 403 and changes nothing. The auditor reads the whole city, and
/// its 兴宁区 rows are exactly those the inspector was shown.
async fn auditor_reads_but_cannot_triage(b: &Browser, console: &Console, seen: &Seen) {
    let open = seen.clue[1];
    b.login("audit", PASSWORD).await;
    assert_eq!(b.path().await, "/", "{}", b.page_text().await);
    let rows = all_finding_rows(b).await;
    assert!(
        rows.iter().any(|r| r.district != XINGNING_LABEL),
        "an auditor is not held to one district: {rows:?}"
    );
    let mut xingning: Vec<i64> = rows
        .iter()
        .filter(|r| r.district == XINGNING_LABEL)
        .map(|r| r.id)
        .collect();
    let mut listed = seen.listed.clone();
    xingning.sort_unstable();
    listed.sort_unstable();
    assert_eq!(xingning, listed, "the inspector saw all of 兴宁区");
    // A page with findings, without the clue form.
    b.goto("/findings").await;
    assert!(!finding_rows(b).await.is_empty());
    assert!(b.button("将所选发现生成线索").await.is_none());
    let boxes = b.script("return document.querySelectorAll('input[name=finding]').length;");
    assert_eq!(boxes.await, json!(0));

    assert_eq!(triage_state(b, open).await, "待研判");
    assert!(b.button("提交研判").await.is_none(), "no triage form");
    let forms = b.script("return document.querySelectorAll('form.triage-form').length;");
    assert_eq!(forms.await, json!(0));

    // The console's CSP forbids fetch(), so the test builds the form into the page: the
    // auditor's session cookie and its valid CSRF token (from the logout form) go with it.
    let before = console.rule_counts();
    b.script(&format!(
        "const form = document.createElement('form');
         form.method = 'post';
         form.action = '/findings/{open}/triage';
         const fields = {{
             csrf: document.querySelector('form.me input[name=csrf]').value,
             decision: 'confirmed',
             reason: '',
         }};
         for (const [name, value] of Object.entries(fields)) {{
             const input = document.createElement('input');
             input.type = 'hidden';
             input.name = name;
             input.value = value;
             form.append(input);
         }}
         const button = document.createElement('button');
         button.textContent = '越权提交';
         form.append(button);
         document.body.append(form);"
    ))
    .await;
    b.click_button("越权提交").await;
    assert_eq!(b.status().await, 403);
    let text = b.page_text().await;
    assert!(
        text.contains("无权") && !text.contains("CSRF"),
        "refused for the role, not the token: {text}"
    );
    assert_eq!(triage_state(b, open).await, "待研判", "nothing changed");
    assert_eq!(console.rule_counts(), before, "nothing changed");
}

/// Wrong passwords through the form: the first four are refused as wrong, the fifth locks the
/// account, and the right password then is refused with 账户已锁定 and no session.
async fn five_wrong_passwords_lock_the_account(b: &Browser) {
    // The password is right to begin with.
    b.login("guess", PASSWORD).await;
    assert_eq!(b.path().await, "/", "{}", b.page_text().await);
    b.logout().await;

    for attempt in 1..=5 {
        b.login("guess", "not the password").await;
        assert_eq!(b.path().await, "/login");
        let text = b.page_text().await;
        let want = if attempt < 5 {
            "用户名或密码错误"
        } else {
            "账户已锁定"
        };
        assert!(text.contains(want), "attempt {attempt}: {text}");
    }
    b.login("guess", PASSWORD).await;
    assert_eq!(b.path().await, "/login");
    assert_eq!(b.status().await, 429);
    let text = b.page_text().await;
    assert!(text.contains("账户已锁定"), "{text}");
    b.goto("/findings").await;
    assert!(b.path().await.starts_with("/login"), "no session");
}

/// Two inspectors of 兴宁区 in two browsers at once, each with a session of their own: the
/// ground for the console's two-person steps (one inspector starts, a second confirms).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_inspectors_take_an_evidence_capture_in_two_browsers() {
    let console = Console::start_demo();
    console.add_user("first", "inspector", &[XINGNING]);
    console.add_user("second", "inspector", &[XINGNING]);
    let url = console.xingning_homepage();
    let driver = Driver::start();
    let one = Browser::start(&driver, &console.base).await;
    let two = Browser::start(&driver, &console.base).await;
    one.login("first", PASSWORD).await;
    two.login("second", PASSWORD).await;
    for (b, name) in [(&one, "first"), (&two, "second")] {
        assert_eq!(b.path().await, "/", "{}", b.page_text().await);
        let who = b.script("return document.querySelector('form.me .who').title;");
        assert_eq!(who.await, json!(name), "each browser keeps its own session");
    }

    // The first inspector asks for a capture of a 兴宁区 page.
    one.goto("/captures").await;
    one.fill("url", &url).await;
    one.fill("reason", "浏览器测试取证").await;
    one.click_button("发起申请").await;
    let request = one.path().await;
    assert!(
        request.starts_with("/captures/"),
        "{request}: {}",
        one.page_text().await
    );
    let text = one.page_text().await;
    assert!(text.contains("须由另一名有取证权限的人员确认"), "{text}");
    assert!(
        one.button("确认并取证").await.is_none(),
        "no confirming one's own request"
    );

    // The second confirms it; the capture runs with both as operators.
    two.goto(&request).await;
    two.click_button("确认并取证").await;
    let mut state = String::new();
    for _ in 0..600 {
        two.goto(&request).await;
        state = two
            .script("return document.getElementById('state').dataset.state;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string();
        if state == "done" || state == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = two.page_text().await;
    assert_eq!(state, "done", "{text}");
    assert!(
        text.contains("first ·") && text.contains("second ·"),
        "{text}"
    );
    one.close().await;
    two.close().await;
}

/// The casework path in the browser, as a district lives it: the sweep's findings were grouped
/// into a clue and dispatched to 兴宁区; its inspector verifies it and opens a case with a
/// colleague, orders the page corrected by today; the console's scheduler (re-checks every
/// minute here) re-crawls the ordered page over simweb, whose site did not correct it: not
/// compliant. A penalty is decided, the rectification notice is read and printed to PDF (its
/// text checked with `pdftotext`), and the case is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finding_becomes_a_closed_case_through_a_scheduled_recheck() {
    let console = Console::start_demo_with(&[
        ("WANGJIAN_SCHEDULE_RECHECKS", "* * * * *"),
        ("WANGJIAN_SCHEDULE_CITY_SWEEP", ""),
    ]);
    console.add_user("first", "inspector", &[XINGNING]);
    console.add_user("second", "inspector", &[XINGNING]);
    // Finding → clue → dispatched to 兴宁区, by the sweep.
    let out = run(wangjian(console.data()).args([
        "clue",
        "list",
        "--state",
        "dispatched",
        "--format",
        "json",
    ]));
    assert!(out.status.success());
    // One of 兴宁区's, preferably of advertising (words on the page, which a re-check reads
    // again as the sweep did).
    let clues: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|c| c["district"] == XINGNING && c["case_id"].is_null())
        .collect();
    let clue = clues
        .iter()
        .find(|c| c["group_key"].as_str().is_some_and(|k| k.contains(":ad:")))
        .or(clues.first())
        .expect("a clue the sweep dispatched to 兴宁区");
    let clue_id = clue["id"].as_i64().unwrap();

    let driver = Driver::start();
    let b = Browser::start(&driver, &console.base).await;
    b.login("first", PASSWORD).await;
    b.goto("/clues?state=dispatched").await;
    let text = b.page_text().await;
    assert!(text.contains("兴宁区") && text.contains("已派发"), "{text}");
    b.goto(&format!("/clues/{clue_id}")).await;
    let url = b
        .script("return document.querySelector('td.url').textContent.trim();")
        .await
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with("http://"), "{url}");

    // The district verifies it and opens a case with two officers.
    b.check("answer", "verified").await;
    b.click_button("提交反馈").await;
    b.script(
        "document.querySelectorAll('input[name=officer]').forEach(i => { \
         i.checked = i.value === 'first' || i.value === 'second'; }); return true;",
    )
    .await;
    b.click_button("立案").await;
    let case_path = b.path().await;
    assert!(
        case_path.starts_with("/cases/"),
        "{case_path}: {}",
        b.page_text().await
    );
    let case_id: i64 = case_path["/cases/".len()..].parse().unwrap();
    b.click_button("进入下一阶段：调查中").await;

    // A rectification order due today, for the page the finding was on.
    b.script(
        "const d = document.querySelector('input[name=due]'); d.value = d.min; return d.value;",
    )
    .await;
    b.fill("urls", &url).await;
    b.click_button("录入责令整改").await;
    let text = b.page_text().await;
    assert!(text.contains("责令整改") && text.contains(&url), "{text}");

    // The console's scheduler re-checks it within the next minutes: still there.
    let mut text = String::new();
    for _ in 0..600 {
        b.goto(&case_path).await;
        text = b.page_text().await;
        if text.contains("复查不合格") || text.contains("复查合格") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(text.contains("复查不合格"), "{text}");

    // A penalty with a fine; the case is decided.
    b.fill("decision_no", "南市监网罚〔2026〕9号").await;
    b.fill("fine", "5000.00").await;
    b.click_button("录入行政处罚").await;
    let text = b.page_text().await;
    assert!(text.contains("5,000.00 元"), "{text}");
    b.click_button("进入下一阶段：已决定").await;
    assert!(b.page_text().await.contains("决定"));

    // The rectification notice, read in the console, then printed to PDF.
    b.click_button("查看").await;
    let text = b.page_text().await;
    assert!(text.contains("责令改正通知书"), "{text}");
    let pdf = console.data().join("notice.pdf");
    let out = run(wangjian(console.data()).args([
        "case",
        "document",
        &case_id.to_string(),
        "rectification",
        "--pdf",
        "-o",
        pdf.to_str().unwrap(),
    ]));
    assert!(out.status.success(), "{out:?}");
    let text = Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("责令改正通知书"), "{text}");

    // Closed: every order re-checked, so nothing holds it.
    b.goto(&case_path).await;
    b.click_button("进入下一阶段：已结案").await;
    let text = b.page_text().await;
    assert!(text.contains("结案"), "{text}");
    assert!(b.button("进入下一阶段：已结案").await.is_none(), "{text}");
    let out = run(wangjian(console.data()).args(["case", "show", &case_id.to_string()]));
    assert!(out.status.success());
    assert!(stdout(&out).contains("closed"), "{}", stdout(&out));
    b.close().await;
}
