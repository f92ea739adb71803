//! Gives memory back to the kernel in a long-lived, mostly idle process
//! (the per-container monitor): after the container is created, the code
//! and heap that creation needed are no longer used.

use std::io;

/// Returns freed heap pages to the kernel and drops the resident pages of
/// read-only file mappings (program and library code and constants), which
/// the kernel faults back in from the page cache on demand. An anonymous
/// (copied-on-write) page is kept: that is RELRO data holding relocated
/// pointers, which the file does not have; in a mapping that has some, the
/// file's own pages around them are dropped one by one.
pub fn release_unused() -> io::Result<()> {
    let result = std::fs::read_to_string("/proc/self/smaps").and_then(|smaps| {
        release_stack_below_here(&smaps)?;
        drop_clean_file_pages(&smaps)
    });
    // Last, once the copy of smaps is freed: it may have grown the heap.
    trim_heap();
    result
}

/// [`release_unused`] without the stack part, for a multi-threaded process
/// (the daemon once a burst is over): the heaps are trimmed and the
/// resident pages of clean read-only file mappings are dropped; they stay
/// in the page cache and fault back in where code runs again.
pub fn release_heap_and_code() -> io::Result<()> {
    trim_heap();
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    drop_clean_file_pages(&smaps)
}

fn drop_clean_file_pages(smaps: &str) -> io::Result<()> {
    let (clean, mixed) = read_only_file_mappings(smaps);
    let mut ranges = clean;
    // A read-only mapping with some anonymous pages (the RELRO segment:
    // the loader wrote the GOT, the rest is the file's own in a
    // position-dependent binary): drop its pages one by one where the
    // kernel says they still are the file's.
    if !mixed.is_empty() {
        if let Ok(pagemap) = std::fs::File::open("/proc/self/pagemap") {
            for (start, end) in mixed {
                ranges.extend(file_page_runs(&pagemap, start, end));
            }
        }
    }
    for (start, end) in ranges {
        // SAFETY: [start, end) lies in a private, read-only, file-backed
        // mapping and holds no anonymous page (the whole mapping has none,
        // per /proc/self/smaps, or pagemap showed each page a file page;
        // read-only, so none can be written meanwhile): every resident
        // page equals the file's content, so dropping it loses nothing and
        // it is re-read when next touched. The mapping itself stays.
        let rc =
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Caps glibc's malloc at `n` arenas. By default it makes up to eight per
/// core, one for each thread that meets lock contention, and memory freed
/// in an arena stays with it: after a burst of connections served on many
/// threads the daemon keeps every arena's peak. Call before threads start.
pub fn limit_arenas(n: i32) {
    // SAFETY: mallopt only sets a malloc tunable; M_ARENA_MAX takes any
    // positive count and has no other precondition.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, n);
    }
}

/// Returns the free memory of every malloc arena to the kernel (the top of
/// each heap is shrunk and free pages inside it are dropped), without
/// touching mappings of code: for a busy process after a burst.
pub fn trim_heap() {
    // SAFETY: malloc_trim only returns free heap memory to the kernel; it
    // has no preconditions and is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Bytes of stack kept below this frame: the calls made from here
/// (madvise, a signal handler) fit well within it.
const STACK_MARGIN: usize = 16 * 1024;

/// Drops the main stack's pages more than [`STACK_MARGIN`] below this
/// frame: deep calls made while creating the container left them dirty,
/// and nothing lives below the stack pointer.
fn release_stack_below_here(smaps: &str) -> io::Result<()> {
    let here = 0u8;
    let sp = std::ptr::addr_of!(here) as usize;
    let Some((start, end)) = smaps.lines().find_map(|l| {
        let (range, rest) = l.split_once(' ')?;
        if !rest.trim_end().ends_with("[stack]") {
            return None;
        }
        let (a, b) = range.split_once('-')?;
        Some((
            usize::from_str_radix(a, 16).ok()?,
            usize::from_str_radix(b, 16).ok()?,
        ))
    }) else {
        return Ok(());
    };
    // Only when this is the main thread's stack, with room below the margin.
    let page = 4096;
    if !(start..end).contains(&sp) || sp - start <= STACK_MARGIN + page {
        return Ok(());
    }
    let top = (sp - STACK_MARGIN) & !(page - 1);
    // SAFETY: [start, top) lies in the [stack] mapping at least
    // STACK_MARGIN below the current frame, where no live data can be (the
    // stack grows down and only the 128-byte red zone below the stack
    // pointer may hold data). Dropped pages come back zero-filled if the
    // stack grows into them again.
    let rc = unsafe { libc::madvise(start as *mut libc::c_void, top - start, libc::MADV_DONTNEED) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

const PAGE: usize = 4096;
/// `/proc/PID/pagemap`: the page is present in memory.
const PM_PRESENT: u64 = 1 << 63;
/// `/proc/PID/pagemap`: the page is a file page (or shared anonymous); a
/// private mapping's copied-on-write page is anonymous and has it clear.
const PM_FILE: u64 = 1 << 61;

/// Runs of pages in `[start, end)` that are resident file pages (the
/// file's own content, never written in this process), from `pagemap`.
/// Only for read-only mappings: no write can turn such a page anonymous
/// between this look and the drop.
fn file_page_runs(pagemap: &std::fs::File, start: usize, end: usize) -> Vec<(usize, usize)> {
    use std::os::unix::fs::FileExt;
    let pages = (end - start) / PAGE;
    let mut buf = vec![0u8; pages * 8];
    if pagemap
        .read_exact_at(&mut buf, (start / PAGE * 8) as u64)
        .is_err()
    {
        return Vec::new();
    }
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, entry) in buf.chunks_exact(8).enumerate() {
        let e = u64::from_ne_bytes(entry.try_into().unwrap_or([0; 8]));
        if e & PM_PRESENT == 0 || e & PM_FILE == 0 {
            continue;
        }
        let a = start + i * PAGE;
        match runs.last_mut() {
            Some(last) if last.1 == a => last.1 = a + PAGE,
            _ => runs.push((a, a + PAGE)),
        }
    }
    runs
}

/// Ranges of `r-xp`/`r--p` file mappings whose `Anonymous:` is 0 kB.
#[cfg(test)]
fn clean_file_mappings(smaps: &str) -> Vec<(usize, usize)> {
    read_only_file_mappings(smaps).0
}

/// `r-xp`/`r--p` file mappings: those whose `Anonymous:` is 0 kB, and
/// those with some anonymous (copied-on-write) pages.
type Ranges = Vec<(usize, usize)>;
fn read_only_file_mappings(smaps: &str) -> (Ranges, Ranges) {
    let mut out = Vec::new();
    let mut mixed = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or("");
        if let Some((a, b)) = first.split_once('-').filter(|_| !first.ends_with(':')) {
            current = None;
            let perms = fields.next().unwrap_or("");
            let path = fields.nth(3).unwrap_or("");
            if (perms == "r-xp" || perms == "r--p") && path.starts_with('/') {
                if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                {
                    current = Some((a, b));
                }
            }
        } else if first == "Anonymous:" {
            if let Some(range) = current.take() {
                if fields.next() == Some("0") {
                    out.push(range);
                } else {
                    mixed.push(range);
                }
            }
        }
    }
    (out, mixed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn release_unused_keeps_the_process_working() {
        super::release_unused().unwrap();
        // Code and constants still work after their pages were dropped.
        let v: Vec<u64> = (0..1000).collect();
        assert_eq!(v.iter().sum::<u64>(), 499_500);
        assert_eq!(format!("{:?}", "x"), "\"x\"");
    }

    #[test]
    fn only_clean_read_only_file_mappings() {
        let smaps = "\
1000-2000 r-xp 00000000 fd:00 1 /bin/x
Anonymous:             0 kB
3000-4000 r--p 00001000 fd:00 1 /bin/x
Anonymous:             4 kB
5000-6000 rw-p 00002000 fd:00 1 /bin/x
Anonymous:             0 kB
7000-8000 r--p 00000000 00:00 0
Anonymous:             0 kB
";
        assert_eq!(super::clean_file_mappings(smaps), vec![(0x1000, 0x2000)]);
        let (_, mixed) = super::read_only_file_mappings(smaps);
        assert_eq!(mixed, vec![(0x3000, 0x4000)]);
    }
}
