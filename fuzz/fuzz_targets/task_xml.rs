//! A Task Scheduler export (UTF-16 or UTF-8 XML) as setup reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oqs_proto::task_xml::TaskDefinition;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = TaskDefinition::parse("task.xml", data) {
        let again = TaskDefinition::parse("task.xml", &t.to_utf16())
            .expect("an exported task parses again");
        assert_eq!(again.to_utf16(), t.to_utf16());
    }
});
