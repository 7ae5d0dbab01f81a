# SPDX-License-Identifier: BSD-2-Clause
"""The Vagrantfile is valid (vagrant validate, without a provider: CI has
no hypervisor) and its provisioning script is valid shell."""
import shutil
import subprocess
from pathlib import Path

import pytest

VAGRANT_DIR = Path(__file__).resolve().parent.parent / "vagrant"


@pytest.mark.skipif(shutil.which("vagrant") is None,
                    reason="vagrant is not installed (apt-get install vagrant)")
def test_vagrant_validate(tmp_path):
    env = {"VAGRANT_HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    r = subprocess.run(["vagrant", "validate", "--ignore-provider"],
                       cwd=VAGRANT_DIR, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    shutil.rmtree(VAGRANT_DIR / ".vagrant", ignore_errors=True)
    assert r.returncode == 0, r.stdout
    assert "validated successfully" in r.stdout


def test_provision_script_parses():
    r = subprocess.run(["bash", "-n", str(VAGRANT_DIR / "provision.sh")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    assert r.returncode == 0, r.stdout
