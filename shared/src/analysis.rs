//! The offline/online analysis pipeline: frames in, calls and streams out.
