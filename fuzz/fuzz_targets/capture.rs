//! pcap/pcapng reader over arbitrary bytes. Invariants: never panics; every frame's data is a
//! sub-slice of the input; the offset only grows and stays within the input; an error is the
//! last item.
#![no_main]
use callscope_shared::wire::capture::CaptureReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::new(data) else {
        return;
    };
    let range = data.as_ptr_range();
    let mut last_offset = reader.offset();
    assert!(last_offset <= data.len());
    while let Some(item) = reader.next() {
        let offset = reader.offset();
        assert!(offset >= last_offset && offset <= data.len());
        last_offset = offset;
        match item {
            Ok(frame) => {
                let r = frame.data.as_ptr_range();
                assert!(
                    r.start >= range.start && r.end <= range.end,
                    "frame outside the input"
                );
            }
            Err(_) => {
                assert!(reader.next().is_none(), "an error must end the iteration");
                break;
            }
        }
    }
});
