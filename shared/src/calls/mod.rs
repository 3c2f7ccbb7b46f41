//! SIP transactions, dialogs, legs and calls. Pure: fed parsed messages with capture times.
