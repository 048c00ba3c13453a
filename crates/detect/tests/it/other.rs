//! Starter rules of the other text categories: a few positives and the near-misses that
//! must stay clean.
use crate::table;

#[test]
fn investment_guarantee() {
    table(
        "ad.investment_guarantee",
        &[
            "保本保息，年化12%",
            "稳赚不赔的好项目",
            "本金安全有保障，收益每月到账",
            "投资零风险",
        ],
        &[
            "零风险购物，7天无理由退货",
            "投资有风险，入市需谨慎",
            "银行理财非存款",
        ],
    );
}

#[test]
fn education_guarantee() {
    table(
        "ad.education_guarantee",
        &["驾照考试包过", "保证通过，考不过全额退款", "一次包过"],
        &["面包过期了", "红包过年发", "考试通过率高"],
    );
}

#[test]
fn medical_claim() {
    table(
        "ad.medical_claim",
        &["治愈率高达98%", "三个疗程根治鼻炎", "纯中药无副作用"],
        &[
            "根治欠薪问题专项行动",
            "套餐包治疗费用",
            "谨防根治等虚假宣传",
        ],
    );
}

#[test]
fn state_endorsement() {
    table(
        "ad.state_endorsement",
        &["工商局推荐品牌", "政府指定供应商", "红盾认证企业"],
        &["谨防冒用政府推荐名义的虚假广告", "市场监管局发布通知"],
    );
}

#[test]
fn agri_and_real_estate_and_health_food() {
    table(
        "ad.agri_guarantee",
        &["本农药高效低毒无残留", "新型化肥保证增产"],
        &["食品无残留检测报告", "儿童玩具无毒无害"],
    );
    table(
        "ad.real_estate_promise",
        &["坐享升值，首付10万起", "楼盘位于新区，距地铁站仅5分钟"],
        &["酒店距地铁站仅5分钟", "升值空间请咨询"],
    );
    table(
        "ad.health_food_claim",
        &["本保健食品可治疗糖尿病", "可代替药物服用"],
        &["本品不能代替药物", "保健食品不能代替药物治疗疾病"],
    );
}

#[test]
fn prohibited_goods() {
    table(
        "goods.prohibited",
        &[
            "出售仿真枪，货到付款",
            "办证刻章 电话138",
            "代开各类发票",
            "代开增值税发票，联系微信",
        ],
        &[
            "严禁销售仿真枪",
            "纳税人可向税务机关申请代开增值税发票",
            "公章刻制备案",
        ],
    );
}
