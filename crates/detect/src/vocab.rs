//! Word lists that the structural checks ([`crate::structure`], [`crate::facts`]) share: the
//! ways a page offers to buy, and the words of a cart or checkout. Kept apart from the checks'
//! logic so that they grow with what shops write without touching it.
//!
//! All entries are normalised (lower case, simplified, half width: see [`crate::normalize`]),
//! and each is matched as a substring of normalised text, so an entry also covers the longer
//! buttons that contain it (`购买` covers `立即购买`, `预约购买`, `马上购买`).

/// Ways to buy: with a price on the page, one of these makes it a trading page (and so subject
/// to the license display duty, E-commerce Law Art. 15). Buttons as shops write them: carts and
/// bags, orders, rushes and flash sales, group buying, bookings and payment.
pub const BUY_WORDS: &[&str] = &[
    "立即购买",
    "加入购物车",
    "加购物车",
    "购物车",
    "购买",
    "购物袋",
    "加购",
    "下单",
    "立即抢购",
    "抢购",
    "立即抢",
    "马上抢",
    "秒杀",
    "去结算",
    "结算",
    "立即订购",
    "在线订购",
    "立即投资",
    "立即报名",
    "在线报名",
    "立即预订",
    "在线预订",
    "立即团购",
    "拼单",
    "立即参团",
    "立即支付",
    "去支付",
    "立即付款",
    // 拍下 alone is also "take a photo": only its shop forms.
    "立即拍下",
    "马上拍下",
    "拍下立减",
    "拍下付款",
    "拍下即",
    "拍下后",
    "拍下改价",
    "buy now",
    "add to cart",
    "add to bag",
    "order now",
    "checkout",
];

/// Words that offer a shopping cart or checkout (site classification: a page that offers one
/// belongs to a trading site, price or not).
pub const CART_WORDS: &[&str] = &[
    "加入购物车",
    "加购物车",
    "购物车",
    "加入购物袋",
    "我的购物袋",
    "立即购买",
    "立即下单",
    "去结算",
    "立即结算",
    "提交订单",
    "去支付",
    "立即支付",
    "add to cart",
    "add to bag",
    "shopping cart",
    "shopping bag",
    "checkout",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    #[test]
    fn entries_are_normalised() {
        for w in BUY_WORDS.iter().chain(CART_WORDS) {
            assert_eq!(normalize(w), *w, "{w}");
        }
    }
}
