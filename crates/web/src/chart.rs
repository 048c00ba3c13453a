//! Server-rendered SVG charts: a heat map, horizontal bars, weekly columns and a progress bar,
//! for the dashboard and the report.
//!
//! Every chart is one `<svg>` element ready to put into a page: `role="img"` with a `<title>`
//! and a `<desc>` it is labelled by, a fixed `viewBox` so that it scales with the page, and
//! every value written as text beside its mark (no meaning carried by colour alone, so a chart
//! reads in print and in black and white). A mark that stands for records is wrapped in an SVG
//! `<a href>` to them. Colours are classes styled in `style.css` (the console's
//! Content-Security-Policy forbids inline styles); no script.
//!
//! Every text and link handed in is escaped here: labels may come from captured pages or
//! people's input. Charts with nothing to show say 无数据. The pages put a table of the same
//! numbers behind each chart for screen readers; the chart does not replace it.
//!
//! Must not: know the store or the pages' data, or use anything beyond std.

use std::fmt::Write;

use chrono::NaiveDate;

/// One bar of [`bars`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    /// The records behind the value.
    pub href: Option<String>,
}

/// One cell of [`heatmap`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    pub value: i64,
    /// The records behind the value.
    pub href: Option<String>,
}

/// One series of [`weekly`]: a value per week, stacked in the weeks' columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub name: String,
    /// A class of `style.css` that colours its marks (e.g. `sev-high`).
    pub class: String,
    /// One value per week, in the weeks' order.
    pub values: Vec<i64>,
    /// The records of the series (its legend entry links there).
    pub href: Option<String>,
}

/// Text and attribute values escaped for HTML and SVG.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Font size of the charts' text (in viewBox units).
const FONT: i64 = 12;

/// The approximate width of `s` at `font` units: wide (CJK) characters a full em, others 0.6.
fn text_width(s: &str, font: i64) -> i64 {
    let tenths: i64 = s
        .chars()
        .map(|c| if (c as u32) < 0x1100 { 6 } else { 10 })
        .sum();
    tenths * font / 10
}

/// `s` cut to at most `max` units wide at `font`, with an ellipsis when cut.
fn fit(s: &str, max: i64, font: i64) -> String {
    if text_width(s, font) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if text_width(&out, font) + font > max {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

/// The opening of a chart: the `<svg>` with its viewBox, title and description.
fn open(out: &mut String, id: &str, class: &str, title: &str, desc: &str, w: i64, h: i64) {
    let id = escape(id);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart {class}\" id=\"{id}\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" viewBox=\"0 0 {w} {h}\" \
         width=\"{w}\" height=\"{h}\" preserveAspectRatio=\"xMinYMin meet\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(desc),
    );
}

/// A chart with nothing to show: its title and 无数据.
fn empty(id: &str, class: &str, title: &str) -> String {
    let mut out = String::new();
    open(&mut out, id, class, title, "无数据", 400, 60);
    out.push_str(
        "<rect class=\"chart-frame\" x=\"0.5\" y=\"0.5\" width=\"399\" height=\"59\"/>\
         <text class=\"chart-empty\" x=\"200\" y=\"35\" text-anchor=\"middle\">无数据</text></svg>",
    );
    out
}

/// `inner` wrapped in a link to `href` when there is one.
fn linked(out: &mut String, href: Option<&str>, inner: &str) {
    match href {
        Some(h) => {
            let _ = write!(out, "<a href=\"{}\">{inner}</a>", escape(h));
        }
        None => out.push_str(inner),
    }
}

/// Horizontal bars: one row per item, its label, a bar as long as its value and the value
/// written after it; each bar and value links to its records.
pub fn bars(id: &str, title: &str, items: &[Bar]) -> String {
    if items.is_empty() {
        return empty(id, "chart-bars", title);
    }
    const ROW: i64 = 26;
    const BAR_W: i64 = 300;
    let label_w = items
        .iter()
        .map(|b| text_width(&b.label, FONT))
        .max()
        .unwrap_or(0)
        .clamp(40, 220)
        + 10;
    let max = items.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let value_w = 70;
    let w = label_w + BAR_W + value_w;
    let h = ROW * items.len() as i64 + 8;
    let total: i64 = items.iter().map(|b| b.value).sum();
    let desc = items
        .iter()
        .map(|b| format!("{}：{}", b.label, b.value))
        .collect::<Vec<_>>()
        .join("；");
    let mut out = String::new();
    open(
        &mut out,
        id,
        "chart-bars",
        title,
        &format!("合计 {total}。{desc}"),
        w,
        h,
    );
    for (i, b) in items.iter().enumerate() {
        let y = 4 + ROW * i as i64;
        let len = if b.value > 0 {
            (b.value * BAR_W / max).max(2)
        } else {
            0
        };
        let _ = write!(
            out,
            "<text class=\"chart-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 8,
            y + 17,
            escape(&fit(&b.label, label_w - 10, FONT))
        );
        let mark = format!(
            "<rect class=\"chart-bar\" x=\"{label_w}\" y=\"{}\" width=\"{len}\" height=\"{}\">\
             <title>{}：{}</title></rect>\
             <text class=\"chart-value\" x=\"{}\" y=\"{}\">{}</text>",
            y + 3,
            ROW - 8,
            escape(&b.label),
            b.value,
            label_w + len + 6,
            y + 17,
            b.value
        );
        linked(&mut out, b.href.as_deref(), &mark);
    }
    out.push_str("</svg>");
    out
}

/// The colour step (0–5) of `value` on a scale up to `max`: 0 only for 0.
fn heat_step(value: i64, max: i64) -> i64 {
    if value <= 0 || max <= 0 {
        0
    } else {
        // Rounded up: the largest is 5, any count at least 1.
        ((value * 5 + max - 1) / max).clamp(1, 5)
    }
}

/// A heat map: `rows` × `cols` of counts, each cell coloured by its share of the largest
/// (six steps, classes `heat-0` … `heat-5`), its count written in it and linked to its
/// records. `cells[r][c]` is row `r`, column `c`; missing cells count 0.
pub fn heatmap(
    id: &str,
    title: &str,
    rows: &[String],
    cols: &[String],
    cells: &[Vec<Cell>],
) -> String {
    let cell = |r: usize, c: usize| cells.get(r).and_then(|row| row.get(c));
    let total: i64 = cells.iter().flatten().map(|c| c.value).sum();
    if rows.is_empty() || cols.is_empty() {
        return empty(id, "chart-heatmap", title);
    }
    const CW: i64 = 64;
    const RH: i64 = 22;
    const HEAD: i64 = 40;
    let label_w = rows
        .iter()
        .map(|r| text_width(r, FONT))
        .max()
        .unwrap_or(0)
        .clamp(40, 260)
        + 10;
    let w = label_w + CW * cols.len() as i64 + 2;
    let h = HEAD + RH * rows.len() as i64 + 2;
    let max = cells.iter().flatten().map(|c| c.value).max().unwrap_or(0);
    let mut out = String::new();
    open(
        &mut out,
        id,
        "chart-heatmap",
        title,
        &format!(
            "{} 行 × {} 列，合计 {total}，单格最多 {max}。颜色越深数目越多，每格写有数目。",
            rows.len(),
            cols.len()
        ),
        w,
        h,
    );
    if total == 0 {
        let _ = write!(
            out,
            "<text class=\"chart-empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">无数据</text>",
            w / 2,
            HEAD - 26
        );
    }
    for (c, name) in cols.iter().enumerate() {
        let x = label_w + CW * c as i64 + CW / 2;
        let _ = write!(
            out,
            "<text class=\"chart-label\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            HEAD - 8,
            escape(&fit(name, CW - 4, FONT))
        );
    }
    for (r, name) in rows.iter().enumerate() {
        let y = HEAD + RH * r as i64;
        let _ = write!(
            out,
            "<text class=\"chart-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 8,
            y + 15,
            escape(&fit(name, label_w - 10, FONT))
        );
        for (c, col) in cols.iter().enumerate() {
            let x = label_w + CW * c as i64;
            let (value, href) = cell(r, c).map_or((0, None), |k| (k.value, k.href.as_deref()));
            let step = heat_step(value, max);
            let mark = format!(
                "<rect class=\"heat heat-{step}\" x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\">\
                 <title>{} · {}：{value}</title></rect>\
                 <text class=\"chart-value heat-text-{step}\" x=\"{}\" y=\"{}\" \
                 text-anchor=\"middle\">{value}</text>",
                CW - 2,
                RH - 2,
                escape(name),
                escape(col),
                x + CW / 2 - 1,
                y + 15,
            );
            linked(&mut out, href.filter(|_| value > 0), &mark);
        }
    }
    out.push_str("</svg>");
    out
}

/// Columns per week, the series stacked in each (bottom first), the week's total written above
/// its column and each part's value in it when it is tall enough; weeks are labelled by their
/// first day (`MM-DD`). A legend names the series with their totals, each linked to its
/// records.
pub fn weekly(id: &str, title: &str, weeks: &[NaiveDate], series: &[Series]) -> String {
    let value = |s: &Series, w: usize| s.values.get(w).copied().unwrap_or(0).max(0);
    let totals: Vec<i64> = (0..weeks.len())
        .map(|w| series.iter().map(|s| value(s, w)).sum())
        .collect();
    let all: i64 = totals.iter().sum();
    if weeks.is_empty() {
        return empty(id, "chart-weekly", title);
    }
    const COL: i64 = 44;
    const PLOT_H: i64 = 180;
    const LEFT: i64 = 36;
    const TOP: i64 = 24;
    const LEGEND: i64 = 26;
    let w = LEFT + COL * weeks.len() as i64 + 8;
    let h = TOP + PLOT_H + 24 + LEGEND;
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let first = weeks[0];
    let mut out = String::new();
    open(
        &mut out,
        id,
        "chart-weekly",
        title,
        &format!(
            "自 {first} 起 {} 周，合计 {all}；{}。每列上方写有该周合计。",
            weeks.len(),
            series
                .iter()
                .map(|s| format!("{} {}", s.name, s.values.iter().sum::<i64>()))
                .collect::<Vec<_>>()
                .join("，")
        ),
        w,
        h,
    );
    let base = TOP + PLOT_H;
    let _ = write!(
        out,
        "<line class=\"chart-axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/>\
         <text class=\"chart-tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{max}</text>\
         <line class=\"chart-grid\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{}\" y2=\"{TOP}\"/>\
         <text class=\"chart-tick\" x=\"{}\" y=\"{base}\" text-anchor=\"end\">0</text>",
        w - 8,
        LEFT - 4,
        TOP + 4,
        w - 8,
        LEFT - 4,
    );
    if all == 0 {
        let _ = write!(
            out,
            "<text class=\"chart-empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">无数据</text>",
            LEFT + (w - LEFT) / 2,
            TOP + PLOT_H / 2
        );
    }
    for (i, week) in weeks.iter().enumerate() {
        let x = LEFT + COL * i as i64 + 6;
        let bw = COL - 12;
        let mut y = base;
        for s in series {
            let v = value(s, i);
            if v == 0 {
                continue;
            }
            let hgt = (v * PLOT_H / max).max(1);
            y -= hgt;
            let _ = write!(
                out,
                "<rect class=\"chart-col {}\" x=\"{x}\" y=\"{y}\" width=\"{bw}\" height=\"{hgt}\">\
                 <title>{} 起一周 · {}：{v}</title></rect>",
                escape(&s.class),
                week.format("%Y-%m-%d"),
                escape(&s.name),
            );
            if hgt >= FONT + 2 {
                let _ = write!(
                    out,
                    "<text class=\"chart-inside\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{v}</text>",
                    x + bw / 2,
                    y + hgt / 2 + FONT / 2 - 1
                );
            }
        }
        let _ = write!(
            out,
            "<text class=\"chart-value\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
             <text class=\"chart-tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x + bw / 2,
            y - 4,
            totals[i],
            x + bw / 2,
            base + 16,
            week.format("%m-%d"),
        );
    }
    let mut lx = LEFT;
    let ly = base + 26;
    for s in series {
        let label = format!("{} {}", s.name, s.values.iter().sum::<i64>());
        let mark = format!(
            "<rect class=\"chart-key {}\" x=\"{lx}\" y=\"{ly}\" width=\"12\" height=\"12\"/>\
             <text class=\"chart-label\" x=\"{}\" y=\"{}\">{}</text>",
            escape(&s.class),
            lx + 16,
            ly + 11,
            escape(&label)
        );
        linked(&mut out, s.href.as_deref(), &mark);
        lx += 16 + text_width(&label, FONT) + 18;
    }
    out.push_str("</svg>");
    out
}

/// A progress bar: `done` of `total`, with the numbers and the share written beside it.
pub fn progress(id: &str, title: &str, done: i64, total: i64) -> String {
    if total <= 0 {
        return empty(id, "chart-progress", title);
    }
    let done = done.clamp(0, total);
    let pct = done * 100 / total;
    const W: i64 = 480;
    let len = done * W / total;
    let text = format!("{done} / {total}（{pct}%）");
    let mut out = String::new();
    open(
        &mut out,
        id,
        "chart-progress",
        title,
        &format!("已完成 {done}，共 {total}，{pct}%"),
        W + 140,
        36,
    );
    let _ = write!(
        out,
        "<rect class=\"chart-track\" x=\"0\" y=\"6\" width=\"{W}\" height=\"24\"/>\
         <rect class=\"chart-done\" x=\"0\" y=\"6\" width=\"{len}\" height=\"24\"><title>{}</title></rect>\
         <text class=\"chart-value\" x=\"{}\" y=\"23\">{}</text></svg>",
        escape(&text),
        W + 8,
        escape(&text)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: i64, href: Option<&str>) -> Bar {
        Bar {
            label: label.into(),
            value,
            href: href.map(Into::into),
        }
    }

    /// The chart is one labelled `<svg role="img">` element.
    fn check_frame(svg: &str, id: &str, title: &str) {
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains("role=\"img\""), "{svg}");
        assert!(
            svg.contains(&format!("aria-labelledby=\"{id}-title {id}-desc\"")),
            "{svg}"
        );
        assert!(
            svg.contains(&format!("<title id=\"{id}-title\">{title}</title>")),
            "{svg}"
        );
        assert!(svg.contains("viewBox=\"0 0 "), "{svg}");
        assert!(
            !svg.contains("style="),
            "the CSP forbids inline styles: {svg}"
        );
        assert!(!svg.contains("<script"), "{svg}");
    }

    #[test]
    fn hostile_labels_and_links_are_escaped() {
        let evil = "<script>alert('x')</script>\"&";
        let svg = bars(
            "b\"<",
            evil,
            &[bar(evil, 3, Some("/findings?a=1&b=\"><script>"))],
        );
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("'x'"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"));
        assert!(svg.contains("href=\"/findings?a=1&amp;b=&quot;&gt;&lt;script&gt;\""));
        assert!(svg.contains("id=\"b&quot;&lt;\""));

        let rows = vec![evil.to_string()];
        let cols = vec!["</svg><b>".to_string()];
        let cells = vec![vec![Cell {
            value: 1,
            href: Some("javascript:\"".into()),
        }]];
        let svg = heatmap("h", "t", &rows, &cols, &cells);
        assert!(
            !svg.contains("<script") && !svg.contains("</svg><b>"),
            "{svg}"
        );
        assert_eq!(svg.matches("</svg>").count(), 1, "{svg}");
        assert!(svg.contains("href=\"javascript:&quot;\""), "{svg}");

        let svg = weekly(
            "w",
            "t",
            &[NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()],
            &[Series {
                name: evil.into(),
                class: "x\" onload=\"y".into(),
                values: vec![2],
                href: None,
            }],
        );
        assert!(
            !svg.contains("<script") && !svg.contains("\" onload"),
            "{svg}"
        );
        let svg = progress("p", evil, 1, 2);
        assert!(!svg.contains("<script"), "{svg}");
    }

    #[test]
    fn empty_data_renders_a_chart_saying_no_data() {
        for (svg, id) in [
            (bars("a", "条形", &[]), "a"),
            (heatmap("b", "条形", &[], &[], &[]), "b"),
            (weekly("c", "条形", &[], &[]), "c"),
            (progress("d", "条形", 0, 0), "d"),
        ] {
            check_frame(&svg, id, "条形");
            assert!(svg.contains("无数据"), "{svg}");
        }
        // Rows and columns but only zeros: the grid is drawn and says so too.
        let svg = heatmap(
            "e",
            "热力",
            &["甲".into()],
            &["乙".into()],
            &[vec![Cell::default()]],
        );
        check_frame(&svg, "e", "热力");
        assert!(svg.contains("无数据") && svg.contains("heat-0"), "{svg}");
        let week = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let svg = weekly("f", "趋势", &[week], &[]);
        assert!(svg.contains("无数据"), "{svg}");
    }

    #[test]
    fn bars_write_each_value_and_link_it() {
        let svg = bars(
            "credit",
            "信用分类",
            &[
                bar("A 类", 17, Some("/x?class=a")),
                bar("B 类", 4, None),
                bar("C 类", 0, Some("/x?class=c")),
            ],
        );
        check_frame(&svg, "credit", "信用分类");
        assert_eq!(svg.matches("<rect class=\"chart-bar\"").count(), 3, "{svg}");
        assert!(
            svg.contains(">17</text>") && svg.contains(">4</text>"),
            "{svg}"
        );
        assert!(svg.contains(">0</text>"), "{svg}");
        assert!(svg.contains("<a href=\"/x?class=a\">"), "{svg}");
        assert!(svg.contains("<a href=\"/x?class=c\">"), "{svg}");
        assert!(svg.contains("合计 21"), "{svg}");
        // The largest bar is the full length, the others in proportion.
        assert!(svg.contains("width=\"300\""), "{svg}");
        assert!(svg.contains("width=\"70\""), "{svg}");
    }

    #[test]
    fn heatmap_colours_by_count_and_links_non_zero_cells() {
        let rows = vec!["广告 高".to_string(), "价格 中".to_string()];
        let cols = vec!["青秀区".to_string(), "兴宁区".to_string()];
        let cells = vec![
            vec![
                Cell {
                    value: 10,
                    href: Some("/findings?category=a&district=1".into()),
                },
                Cell {
                    value: 0,
                    href: Some("/never".into()),
                },
            ],
            vec![Cell {
                value: 1,
                href: None,
            }],
        ];
        let svg = heatmap("heat", "发现", &rows, &cols, &cells);
        check_frame(&svg, "heat", "发现");
        assert_eq!(svg.matches("<rect class=\"heat ").count(), 4, "{svg}");
        assert!(svg.contains("heat heat-5"), "{svg}");
        assert!(svg.contains("heat heat-1"), "{svg}");
        assert!(svg.contains("heat heat-0"), "{svg}");
        assert!(
            svg.contains("<a href=\"/findings?category=a&amp;district=1\">"),
            "{svg}"
        );
        assert!(!svg.contains("/never"), "a zero links nowhere: {svg}");
        assert!(
            svg.contains(">10</text>") && svg.contains(">1</text>"),
            "{svg}"
        );
        assert!(svg.contains("合计 11"), "{svg}");
        assert!(!svg.contains("无数据"), "{svg}");
    }

    #[test]
    fn weekly_stacks_series_and_writes_totals() {
        let weeks: Vec<NaiveDate> = (0..3)
            .map(|i| NaiveDate::from_ymd_opt(2026, 11, 16).unwrap() + chrono::Duration::weeks(i))
            .collect();
        let svg = weekly(
            "trend",
            "每周发现",
            &weeks,
            &[
                Series {
                    name: "高".into(),
                    class: "sev-high".into(),
                    values: vec![3, 0, 5],
                    href: Some("/findings?severity=high".into()),
                },
                Series {
                    name: "低".into(),
                    class: "sev-low".into(),
                    values: vec![1, 0, 7],
                    href: None,
                },
            ],
        );
        check_frame(&svg, "trend", "每周发现");
        assert_eq!(svg.matches("<rect class=\"chart-col ").count(), 4, "{svg}");
        for total in [">4</text>", ">0</text>", ">12</text>"] {
            assert!(svg.contains(total), "{total} in {svg}");
        }
        assert!(
            svg.contains(">11-16</text>") && svg.contains(">11-30</text>"),
            "{svg}"
        );
        assert!(svg.contains("高 8") && svg.contains("低 8"), "{svg}");
        assert!(
            svg.contains("<a href=\"/findings?severity=high\">"),
            "{svg}"
        );
        assert!(svg.contains("合计 16"), "{svg}");
    }

    #[test]
    fn progress_writes_done_total_and_share() {
        let svg = progress("sweep", "巡查进度", 3, 12);
        check_frame(&svg, "sweep", "巡查进度");
        assert!(svg.contains("3 / 12（25%）"), "{svg}");
        assert!(
            svg.contains("class=\"chart-done\" x=\"0\" y=\"6\" width=\"120\""),
            "{svg}"
        );
        // More done than planned is shown as all done.
        assert!(progress("p", "t", 9, 4).contains("4 / 4（100%）"));
    }

    #[test]
    fn long_labels_are_cut_to_fit() {
        let long = "很长".repeat(40);
        let svg = bars("b", "t", &[bar(&long, 1, None)]);
        assert!(svg.contains('…'), "{svg}");
        // The full label stays in the mark's title.
        assert!(svg.contains(&long), "{svg}");
    }
}
