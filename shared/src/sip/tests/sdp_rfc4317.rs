use crate::sip::*;
