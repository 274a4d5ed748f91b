"""A throw-away certificate authority for the emulators' HTTPS endpoints.

Every test run makes its own CA and a server certificate for ``localhost`` and
``127.0.0.1``; clients verify against ``ca_path``, exactly as they would
against a real IPA CA, so TLS verification stays on in every test.
"""

import datetime
import ipaddress
import os
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'novajoin-notify tests'),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


class TestCA:
    """A CA plus one server certificate, written as PEM files to a directory."""

    def __init__(self, directory=None, hostnames=('localhost',),
                 addresses=('127.0.0.1',)):
        self.directory = directory or tempfile.mkdtemp(prefix='nj-ca-')
        now = datetime.datetime.now(datetime.timezone.utc)
        start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2)

        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name('novajoin-notify test CA'))
            .issuer_name(_name('novajoin-notify test CA'))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256())
        )

        key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.DNSName(h) for h in hostnames]
        sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(hostnames[0]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )

        self.ca_path = self._write('ca.pem', ca_cert.public_bytes(serialization.Encoding.PEM))
        self.cert_path = self._write('server.pem', cert.public_bytes(serialization.Encoding.PEM))
        self.key_path = self._write('server.key', key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))

    def _write(self, name, data):
        path = os.path.join(self.directory, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def server_context(self):
        """An ``ssl.SSLContext`` for a server presenting the certificate."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_path, self.key_path)
        return ctx


_shared = None


def shared_ca():
    """One CA per test process, so every emulator is trusted by one bundle."""
    global _shared
    if _shared is None:
        _shared = TestCA()
    return _shared
