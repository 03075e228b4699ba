//! Files only their owner may read: keys, mails (they carry sign-in links), a person's
//! exported data, the benchmark's session cookies.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Opens `path` for writing with owner-only permissions (`0600` on Unix): a new file when
/// `new` (an existing one is an error), else created or truncated.
pub fn private(path: &Path, new: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true);
    if new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_the_owner_may_read_it() {
        let dir = std::env::temp_dir().join(format!("comptoir-files-{}", crate::time::new_id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("secret");
        super::private(&path, true).expect("created");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(super::private(&path, true).is_err(), "a new file only");
        super::private(&path, false).expect("truncated");
        std::fs::remove_dir_all(&dir).expect("cleaned");
    }
}
