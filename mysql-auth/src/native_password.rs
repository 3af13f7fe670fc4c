//! TEST AID ONLY (feature `test-native-password`): `mysql_native_password`, used to prove the
//! connector's handshake, TLS and COM_QUERY against a real MariaDB without Kerberos.
//! MySQL docs "Native Authentication":
//! `SHA1(password) XOR SHA1(scramble || SHA1(SHA1(password)))`.

use sha1::{Digest, Sha1};

/// The auth-response for `password` and the server's 20-byte scramble (empty for an empty
/// password).
pub fn scramble(password: &[u8], scramble: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let h1 = Sha1::digest(password);
    let h2 = Sha1::digest(h1);
    let mut h = Sha1::new();
    h.update(scramble);
    h.update(h2);
    let h3 = h.finalize();
    h1.iter().zip(h3.iter()).map(|(a, b)| a ^ b).collect()
}
