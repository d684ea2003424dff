//! MEMORY USAGE: how many bytes a key takes on disk, estimated without reading its values.

use std::fs;
use std::io;
use std::path::Path;

/// The bytes of a key directory: the length of every file and the size of every directory
/// (the space its entries' names take). In a directory with more entries than `samples`, only
/// that many are looked at: their average, times the number of entries, which is estimated
/// from the directory's own size (ext4 keeps a large directory's blocks about two-thirds full
/// of entries of 8 bytes plus the name, rounded up to 4).
pub fn estimate(dir: &Path, samples: usize) -> io::Result<u64> {
    let own_size = fs::symlink_metadata(dir)?.len();
    let mut entries = fs::read_dir(dir)?;
    let (mut seen, mut bytes, mut name_bytes) = (0u64, 0u64, 0u64);
    for entry in entries.by_ref().take(samples) {
        let entry = entry?;
        bytes += match entry.file_type()?.is_dir() {
            true => estimate(&entry.path(), samples)?,
            false => entry.metadata().map_or(0, |m| m.len()),
        };
        name_bytes += entry.file_name().len() as u64;
        seen += 1;
    }
    if entries.next().is_none() {
        return Ok(own_size + bytes);
    }
    let entry_size = (8 + name_bytes / seen).next_multiple_of(4);
    let count = (own_size * 2 / 3 / entry_size).max(seen + 1);
    Ok(own_size + bytes / seen * count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampled_directories_scale_to_their_size() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("type"), b"hash\nsize 2000\n").unwrap();
        let fields = dir.path().join("fields");
        fs::create_dir(&fields).unwrap();
        for i in 0..2000 {
            fs::write(fields.join(format!("field{i}")), [b'x'; 100]).unwrap();
        }
        let exact = estimate(dir.path(), usize::MAX).unwrap();
        assert!(exact > 2000 * 100, "{exact}");
        let sampled = estimate(dir.path(), 5).unwrap();
        // Within a factor of two of the exact figure, from five files.
        assert!(
            sampled > exact / 2 && sampled < exact * 2,
            "{sampled} vs {exact}"
        );
    }
}
