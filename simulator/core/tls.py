"""A local certificate authority for ``--tls`` (``trustme``): server certificates for the lab's host
names, and the CA bundle that clients (requests, MSAL) are told to trust."""
from __future__ import annotations

import os
from dataclasses import dataclass

import trustme


@dataclass
class TLSFiles:
    cert_file: str
    key_file: str
    ca_bundle: str


def make_tls(directory: str, hosts: list[str]) -> TLSFiles:
    os.makedirs(directory, exist_ok=True)
    ca = trustme.CA(organization_name="Entra provisioning lab")
    names = list(dict.fromkeys([*hosts, "localhost", "127.0.0.1", "::1"]))
    cert = ca.issue_cert(*names)
    files = TLSFiles(
        cert_file=os.path.join(directory, "server-chain.pem"),
        key_file=os.path.join(directory, "server-key.pem"),
        ca_bundle=os.path.join(directory, "ca.pem"),
    )
    cert.private_key_pem.write_to_path(files.key_file)
    with open(files.cert_file, "wb") as fh:
        for blob in cert.cert_chain_pems:
            fh.write(blob.bytes())
    ca.cert_pem.write_to_path(files.ca_bundle)
    return files
