//! The register CSV (spec/registry-import.md) for a world: every registered operator, with the
//! deliberate mismatches (USCC, ICP, address) that the truth records, and without the
//! unregistered ones.

use crate::site::Site;
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

pub fn csv(sites: &[Site]) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for s in sites.iter().filter(|s| s.registered) {
        let domains = if !s.prefix.is_empty() {
            format!("{}{}", s.host, s.prefix)
        } else if s.seed % 4 == 0 && s.host.starts_with("www.") {
            // Registers often hold the bare domain; matchers must treat www. as the same site.
            s.host.trim_start_matches("www.").to_string()
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
