//! Gives memory back to the kernel in a long-lived, mostly idle process
//! (the per-container monitor): after the container is created, the code
//! and heap that creation needed are no longer used.

use std::io;

/// Returns freed heap pages to the kernel and drops the resident pages of
/// this program's executable code, which the kernel faults back in from
/// the page cache on demand. Only `r-xp` mappings are touched: text is never
/// written, unlike RELRO data, which holds relocated pointers.
pub fn release_unused() -> io::Result<()> {
    // SAFETY: malloc_trim only returns free heap memory to the kernel; it
    // has no preconditions and is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
    let exe = std::fs::read_link("/proc/self/exe")?;
    let exe = exe.to_string_lossy();
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let path = fields.nth(3).unwrap_or("");
        if perms != "r-xp" || path != exe {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            continue;
        };
        // SAFETY: [start, end) is a private, read-only, file-backed text
        // mapping of our own executable (from /proc/self/maps). Dropping
        // its pages loses nothing: they are re-read from the file when
        // next executed. The mapping itself stays in place.
        let rc =
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn release_unused_keeps_the_process_working() {
        super::release_unused().unwrap();
        // Code still runs after its pages were dropped.
        let v: Vec<u64> = (0..1000).collect();
        assert_eq!(v.iter().sum::<u64>(), 499_500);
    }
}
