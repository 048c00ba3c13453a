//! The files a world hands to the bureau: the register CSV (docs/spec/registry-import.md), with every
//! registered operator, the deliberate mismatches (USCC, ICP, address) that the truth records,
//! and without the unregistered ones; and other departments' filings (telecom ICP, food
//! licenses) to join to it.

use crate::site::SimSite;
use std::fmt::Write;

const HEADER: &str = "uscc,name,kind,district,address,domains,icp,food_permit,legal_rep,phone";

fn field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

pub fn csv(sites: &[SimSite]) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for s in sites.iter().filter(|s| s.registered) {
        let domains = if !s.prefix.is_empty() {
            format!("{}{}", s.host, s.prefix)
        } else if s.seed % 4 == 0 && s.host.starts_with("www.") {
            // Registers often hold the bare domain; matchers must treat www. as the same site.
            domain::address::bare_host(&s.host).to_string()
        } else {
            s.host.clone()
        };
        let cols = [
            s.uscc_register.as_str().to_string(),
            s.company.clone(),
            s.kind.code().to_string(),
            s.district.to_string(),
            s.address_register.clone(),
            domains,
            s.icp_register.clone().unwrap_or_default(),
            s.food_permit.clone().unwrap_or_default(),
            s.legal_rep.clone(),
            s.phone.clone(),
        ];
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, c);
        }
        let _ = writeln!(out);
    }
    out
}

/// Register rows for the hostile hosts: ordinary registered trading sites, so a sweep crawls
/// them.
pub fn hostile_rows(out: &mut String) {
    for (i, host) in crate::hostile::HOSTILE_HOSTS.iter().enumerate() {
        let uscc = domain::Uscc::complete("91450103", &format!("MAHX00{i:02}"))
            .expect("fixed parts are in the alphabet");
        let _ = writeln!(
            out,
            "{},广西恶意测试{i}号网络有限公司,trading_site,450103,南宁市青秀区民族大道{}号,{host},,,测试员,1380000{:04}",
            uscc.as_str(),
            100 + i,
            i
        );
    }
}

/// Other departments' files about the world (the formats of the built-in mappings in
/// `mappings/`): the communications administration's ICP filings of every site that has one,
/// and the food administration's food business licenses. They hold what the departments know:
/// the operator's real USCC and name, so a site whose register entry is wrong joins by domain
/// instead. Some filings keep an operator's older trade name, and some licenses have expired,
/// as real department data does. Unregistered sites that only a certificate or a second-hop
/// link leads to have no filing (the truth's `found_via`).
pub fn department_files(sites: &[SimSite]) -> (String, String) {
    let mut telecom =
        String::from("网站备案号,主办单位名称,主办单位证件号码,网站域名,审核通过日期,备案状态\n");
    let mut food =
        String::from("许可证编号,社会信用代码,经营者名称,经营项目,发证日期,有效期至,网址\n");
    for (k, s) in sites.iter().enumerate() {
        if !s.prefix.is_empty() {
            continue;
        }
        // A site that only a certificate or a second-hop link leads to has no filing.
        if matches!(s.via, Some(crate::site::Via::Ct | crate::site::Via::Chain)) {
            continue;
        }
        let icp = s
            .icp_register
            .as_deref()
            .or(s.icp_shown.as_deref())
            .and_then(|i| domain::Icp::parse(i).ok());
        if let Some(icp) = icp {
            let name = if k % 9 == 4 {
                format!("南宁市{}网络工作室", s.brand)
            } else {
                s.company.clone()
            };
            let row = [
                icp.to_string(),
                name,
                s.uscc.as_str().to_string(),
                domain::address::bare_host(&s.host).to_string(),
                format!("{}-{:02}-{:02}", 2016 + k % 6, 1 + k % 12, 1 + k % 28),
                "正常".to_string(),
            ];
            push_row(&mut telecom, &row);
        }
        if let Some(permit) = s
            .food_permit
            .as_deref()
            .and_then(|p| domain::FoodLicense::parse(p).ok())
        {
            let issued = 2018 + k % 5;
            let until = if k % 4 == 1 { 2024 } else { issued + 5 };
            let row = [
                permit.to_string(),
                s.uscc.as_str().to_string(),
                s.company.clone(),
                "预包装食品（含冷藏冷冻食品）销售,热食类食品制售".to_string(),
                format!("{issued}-03-01"),
                format!("{until}-02-28"),
                // The address it sells at, as a licence for online selling names it.
                domain::address::bare_host(&s.host).to_string(),
            ];
            push_row(&mut food, &row);
        }
    }
    (telecom, food)
}

fn push_row(out: &mut String, cols: &[String]) {
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, c);
    }
    out.push('\n');
}
