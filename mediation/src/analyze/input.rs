//! Opens capture files (memory-mapped), merges several by capture time, feeds the analyzer,
//! and shows progress on stderr for long files.
use anyhow::Context;
use callscope_shared::analysis::Analyzer;
use callscope_shared::mmap::MappedFile;
use callscope_shared::wire::capture::{CaptureReader, Frame};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bytes kept resident behind the read position when releasing pages of a mapped capture
/// (covers a frame held back by the merge of several files).
const RELEASE_MARGIN: usize = 1 << 20;

pub struct Capture {
    path: PathBuf,
    map: MappedFile,
}

/// Maps every file and checks it is a capture before any work starts, so a typo in the last
/// of several names fails at once.
pub fn open_all(files: &[PathBuf]) -> anyhow::Result<Vec<Capture>> {
    let mut out = Vec::with_capacity(files.len());
    for path in files {
        let map = MappedFile::open(path)
            .with_context(|| format!("cannot open capture '{}'", path.display()))?;
        CaptureReader::new(map.bytes())
            .with_context(|| format!("'{}' is not a readable capture", path.display()))?;
        out.push(Capture {
            path: path.clone(),
            map,
        });
    }
    Ok(out)
}

/// Feeds every frame of every capture to the analyzer in capture-time order. Returns warnings
/// (a truncated file, say): the frames before the problem are analysed and the run succeeds.
pub fn feed(
    captures: &[Capture],
    analyzer: &mut Analyzer,
    show_progress: bool,
) -> anyhow::Result<Vec<String>> {
    let mut warnings = Vec::new();
    let mut readers = Vec::with_capacity(captures.len());
    for c in captures {
        let reader = CaptureReader::new(c.map.bytes())
            .with_context(|| format!("'{}' is not a readable capture", c.path.display()))?;
        readers.push(Source {
            path: &c.path,
            reader,
            next: None,
            done: false,
        });
    }
    let total: usize = captures.iter().map(|c| c.map.bytes().len()).sum();
    let mut progress = Progress::new(show_progress, total);

    if readers.len() == 1 {
        // The common case: no merge bookkeeping per frame.
        if let Some(src) = readers.first_mut() {
            let mut n: u64 = 0;
            while let Some(item) = src.reader.next() {
                match item {
                    Ok(frame) => analyzer.on_frame(&frame),
                    Err(e) => {
                        warnings.push(format!(
                            "{}: {e}; the frames before it were analysed",
                            src.path.display()
                        ));
                        break;
                    }
                }
                n += 1;
                if n & 0xffff == 0 {
                    progress.update(src.reader.offset(), n);
                    if let Some(c) = captures.first() {
                        c.map
                            .release_before(src.reader.offset().saturating_sub(RELEASE_MARGIN));
                    }
                }
            }
            progress.update(src.reader.offset(), n);
        }
    } else {
        let mut n: u64 = 0;
        loop {
            for s in readers.iter_mut() {
                s.fill(&mut warnings);
            }
            let next = readers
                .iter_mut()
                .filter(|s| s.next.is_some())
                .min_by_key(|s| s.next.map_or(u64::MAX, |f| f.ts));
            let Some(src) = next else { break };
            if let Some(frame) = src.next.take() {
                analyzer.on_frame(&frame);
            }
            n += 1;
            if n & 0xffff == 0 {
                progress.update(readers.iter().map(|s| s.reader.offset()).sum(), n);
                for (s, c) in readers.iter().zip(captures) {
                    c.map
                        .release_before(s.reader.offset().saturating_sub(RELEASE_MARGIN));
                }
            }
        }
        progress.update(readers.iter().map(|s| s.reader.offset()).sum(), n);
    }
    progress.finish();
    Ok(warnings)
}

struct Source<'a> {
    path: &'a Path,
    reader: CaptureReader<'a>,
    next: Option<Frame<'a>>,
    done: bool,
}

impl Source<'_> {
    fn fill(&mut self, warnings: &mut Vec<String>) {
        if self.next.is_some() || self.done {
            return;
        }
        match self.reader.next() {
            Some(Ok(f)) => self.next = Some(f),
            Some(Err(e)) => {
                warnings.push(format!(
                    "{}: {e}; the frames before it were analysed",
                    self.path.display()
                ));
                self.done = true;
            }
            None => self.done = true,
        }
    }
}

/// Progress line on stderr: percent of bytes, frames, rate. Only the binary reads the clock.
struct Progress {
    enabled: bool,
    total: usize,
    started: Instant,
    last: Instant,
    shown: bool,
}

impl Progress {
    fn new(enabled: bool, total: usize) -> Self {
        let now = Instant::now();
        Self {
            enabled,
            total,
            started: now,
            last: now,
            shown: false,
        }
    }

    fn update(&mut self, offset: usize, frames: u64) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(500) {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let pct = if self.total == 0 {
            100.0
        } else {
            offset as f64 * 100.0 / self.total as f64
        };
        eprint!(
            "\ranalyzing: {pct:5.1}%  {frames} frames  {:.2} M frames/s   ",
            frames as f64 / secs / 1e6
        );
        self.shown = true;
    }

    fn finish(&mut self) {
        if self.shown {
            eprintln!();
        }
    }
}
