//! Checked zero-copy views of capture files and packet headers (smoltcp `wire` style), and the
//! decapsulation stack that turns a captured frame into transport segments.
//!
//! Contract of every view here: construction checks lengths once; after that no accessor
//! panics. Unknown field values are kept (`Unknown(raw)`), never an error.

pub mod capture;
pub mod decap;
