"""simaug.train.allocator: glibc malloc keeps freed memory, so training steps stop page-faulting."""
import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from simaug.train import allocator

try:
    GLIBC = os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
except (AttributeError, ValueError, OSError):
    GLIBC = False

STEPS = textwrap.dedent("""
    import resource, sys, torch
    torch.set_num_threads(1)
    from simaug.train.allocator import retain_freed_memory
    print(retain_freed_memory())
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 64, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.Conv2d(64, 64, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    def step():
        x = torch.randn(64, 3, 32, 32)  # a fresh batch every step, as in training
        loss = torch.nn.functional.cross_entropy(model(x), torch.randint(0, 10, (64,)))
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        return float(loss)
    for _ in range(3):
        step()
    faults, losses = [], []
    for _ in range(7):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        losses.append(step())
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    print(sorted(faults)[3])  # the median step
    print(repr(losses))
""")


def _run(env_value):
    env = dict(os.environ, SIMAUG_MALLOC=env_value)
    out = subprocess.run([sys.executable, "-c", STEPS], capture_output=True, text=True, env=env, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    tuned, faults, losses = out.stdout.split("\n")[:3]
    return tuned == "True", int(faults), losses


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_retained_memory_means_no_page_faults_and_the_same_numbers():
    tuned, faults, losses = _run("retain")
    system, faults_default, losses_default = _run("system")
    assert tuned and not system
    # each step allocates ~40 MB of activations and gradients: with the C library's defaults
    # a step maps them afresh (thousands of page faults); retained, the median step has none
    # (an occasional step still grows the heap once)
    assert faults < 100 < 1000 < faults_default, (faults, faults_default)
    assert losses == losses_default  # where memory lives never changes what is computed


def test_bad_setting_names_the_choices(monkeypatch):
    monkeypatch.setenv("SIMAUG_MALLOC", "jemalloc")
    allocator.retain_freed_memory.cache_clear()
    try:
        with pytest.raises(ValueError, match="'retain'.*'system'"):
            allocator.retain_freed_memory()
    finally:
        allocator.retain_freed_memory.cache_clear()
        monkeypatch.delenv("SIMAUG_MALLOC")
        allocator.retain_freed_memory()


@pytest.mark.skipif(not GLIBC, reason="glibc's mallopt only")
def test_bench_malloc_compares_the_settings_in_child_processes(tmp_path):
    from simaug.bench import malloc

    out = tmp_path / "malloc.json"
    assert malloc.main(["--models", "simple_cnn", "--precisions", "fp32", "--steps", "3", "--epochs", "1",
                        "--rounds", "1", "--json", str(out)]) == 0
    rec = json.loads(out.read_text())["results"]["simple_cnn fp32"]
    assert rec["same_final_loss"]  # the children trained the same numbers under both settings
    assert rec["retain_faults_per_step"] < rec["system_faults_per_step"]
    assert rec["speedup"]["per_round"] == [rec["retain_images_per_s"] / rec["system_images_per_s"]]
