//! Arbitrary `fields`, `filter` and `order` values never make the emulator fail with a 5xx or drop the connection.

mod common;

use common::*;
use proptest::prelude::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_query_strings_get_an_answer(fields in ".{0,60}", filter in ".{0,60}", order in "[a-zA-Z:,]{0,30}") {
        let rt = runtime();
        rt.block_on(async {
            let emu = start_with_fixture("2.42.6").await;
            let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let path = format!("/api/dataElements?fields={}&filter={}&order={}", enc(&fields), enc(&filter), enc(&order));
            let r = get(&emu, &path).await;
            prop_assert!(r.status == 200 || r.status == 400, "{} for {path}: {}", r.status, r.text());
            let one = get(&emu, &format!("/api/dataElements/DeElem00001?fields={}", enc(&fields))).await;
            prop_assert_eq!(one.status, 200);
            Ok(())
        })?;
    }
}
