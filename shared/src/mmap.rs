//! Read-only memory map of a capture file: the one place in this crate that needs `unsafe`.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::path::Path;

/// A capture file mapped read-only into memory.
pub struct MappedFile {
    map: Option<memmap2::Mmap>,
}

impl MappedFile {
    /// Maps `path`. An empty file maps to an empty slice (mmap of length 0 is an error on Linux).
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(Self { map: None });
        }
        // SAFETY: the map is read-only and private to this process. If another process
        // truncates the file while we read it, access past the new end raises SIGBUS; that is
        // the documented risk of reading captures by mmap (as tshark/libpcap readers with mmap
        // accept), and the reason the live path never uses this type.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        #[cfg(unix)]
        {
            // Sequential access: let the kernel read ahead aggressively.
            let _ = map.advise(memmap2::Advice::Sequential);
        }
        Ok(Self { map: Some(map) })
    }

    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    /// Tells the kernel that the bytes before `offset` will not be read again, so their pages
    /// leave the resident set: a multi-gigabyte capture read once would otherwise count whole
    /// in the process's memory. A no-op on non-Unix systems.
    pub fn release_before(&self, offset: usize) {
        const PAGE: usize = 4096;
        #[cfg(unix)]
        if let Some(map) = &self.map {
            let len = offset.min(map.len()) / PAGE * PAGE;
            if len > 0 {
                // SAFETY: the mapping is private, read-only and never written, so dropping its
                // pages only makes the next access read them from the file again, with the
                // same bytes; slices still borrowed from this range stay valid.
                let _ = unsafe {
                    map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, len)
                };
            }
        }
        #[cfg(not(unix))]
        let _ = offset;
    }
}
