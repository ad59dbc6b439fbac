//! File resources: multipart upload, metadata and a streamed download that returns the same bytes.

mod support;

use dhis2::accessors::files::Upload;
use dhis2::accessors::progress::Progress;

#[tokio::test]
async fn upload_then_download_round_trips_the_bytes() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    // Bytes that would break a naive text multipart encoder: CRLF, a fake boundary, every byte value.
    let mut data = b"line one\r\n--not-a-boundary\r\n".to_vec();
    data.extend((0u8..=255).cycle().take(70_000));
    let upload = Upload::new(
        "report \"q1\".bin",
        "application/octet-stream",
        data.clone(),
    )
    .domain("DOCUMENT");
    let resource = client.files().upload(&upload).await.unwrap();
    let id = resource["id"].as_str().unwrap().to_string();
    assert_eq!(resource["domain"], "DOCUMENT");
    assert_eq!(resource["contentLength"], data.len());
    assert_eq!(resource["storageStatus"], "PENDING");

    let meta = client.files().get(&id).await.unwrap();
    assert_eq!(meta["storageStatus"], "STORED");
    assert_eq!(meta["contentType"], "application/octet-stream");

    let mut downloaded = Vec::new();
    let n = client
        .files()
        .download_to(&id, &mut downloaded, Progress::none())
        .await
        .unwrap();
    assert_eq!(n as usize, data.len());
    assert_eq!(downloaded, data);
}

#[tokio::test]
async fn unknown_file_is_a_404_and_nothing_is_written() {
    let (_emu, client) = support::emulator::start("2.42.6").await;
    let mut sink = Vec::new();
    let err = client
        .files()
        .download_to("Aaaaaaaaaaa", &mut sink, Progress::none())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
    assert!(sink.is_empty());
}
