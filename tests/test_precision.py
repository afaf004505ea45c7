"""MiniLM inference precision (newsfuse.embed): the setting, its 'auto' rule, and bf16 agreeing with fp32."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from newsfuse.config import ConfigError, load_settings
from newsfuse.embed import EncoderUnavailable, native_bf16, resolve_precision

SENTENCES = [
    "A fire broke out on the passenger ferry Nordlys at Port Halvard on Tuesday morning.",
    "Twelve people were injured, the harbour master told reporters outside the terminal.",
    "The ferry was towed back to the dock by two tugboats after the blaze was put out.",
    "City councillors voted 7-2 on Monday night to raise bus fares by 25 cents from March.",
    "Opponents of the fare rise said it would hurt low-income riders the most.",
    "The central bank left its main interest rate unchanged at 4.5 per cent on Thursday.",
    "Economists had expected the hold after inflation eased for a third month in a row.",
    "Officials have not said what caused the fire, and an inquiry will begin next week.",
]


def _cpuinfo(tmp_path, flags: str):
    p = tmp_path / "cpuinfo"
    p.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    return p


def test_auto_means_bf16_only_where_the_cpu_does_it_in_hardware(tmp_path):
    assert native_bf16(_cpuinfo(tmp_path, "fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni")) is True
    assert native_bf16(_cpuinfo(tmp_path, "fpu sse2 avx2 amx_tile amx_bf16")) is True
    # AVX-512 without its bfloat16 extension can only emulate bf16
    assert native_bf16(_cpuinfo(tmp_path, "fpu sse2 avx2 avx512f avx512bw avx512_vnni")) is False
    assert native_bf16(tmp_path / "no-such-file") is False
    assert resolve_precision("auto") == ("bf16" if native_bf16() else "fp32")
    assert [resolve_precision(p) for p in ("fp32", "bf16")] == ["fp32", "bf16"]
    with pytest.raises(ValueError, match="precision must be one of auto, fp32, bf16"):
        resolve_precision("fp16")


def test_the_setting_is_checked_and_defaults_to_auto(monkeypatch):
    monkeypatch.delenv("NEWSFUSE_PRECISION", raising=False)
    assert load_settings().precision == "auto"
    monkeypatch.setenv("NEWSFUSE_PRECISION", "fp16")
    with pytest.raises(ConfigError, match="'precision': 'fp16' is not one of auto, fp32, bf16"):
        load_settings()
    monkeypatch.setenv("NEWSFUSE_PRECISION", "fp32")
    assert load_settings().precision == "fp32"


def test_the_cli_passes_the_precision_of_its_config_file_to_every_command(tmp_path, monkeypatch, capsys):
    import os

    from newsfuse.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text('precision = "fp32"\n')
    monkeypatch.delenv("NEWSFUSE_PRECISION")
    with pytest.raises(SystemExit):  # no store there: the command fails, after the settings were loaded
        main(["--config", str(cfg), "--db", str(tmp_path / "s.sqlite3"), "stories"])
    assert "no store at" in capsys.readouterr().err
    # eval and bench commands build their encoders from the environment's setting, not from --config
    assert os.environ["NEWSFUSE_PRECISION"] == "fp32" and resolve_precision() == "fp32"


def test_an_encoder_cache_of_another_precision_is_refused(tmp_path, monkeypatch):
    from newsfuse.eval.cluster import cached_encode

    class Bf16:
        dim = 3
        precision = "bf16"

        def encode(self, texts):  # noqa: ANN001, ANN202
            return np.ones((len(texts), 3), dtype=np.float32)

    monkeypatch.setenv("NEWSFUSE_CACHE_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="runs in bf16"):
        cached_encode(["a"], encoder=Bf16(), precision="fp32")
    assert cached_encode(["a"], encoder=Bf16()).shape == (1, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["minilm.bf16.npz"]


def test_disk_caches_keep_each_precision_in_its_own_file(tmp_path):
    from newsfuse.check.data import DiskCachedEncoder as NpzCache
    from newsfuse.eval.summarize import DiskCachedEncoder as PickleCache

    class Fake:
        dim = 3

        def __init__(self, precision: str) -> None:
            self.precision = precision

        def encode(self, texts):  # noqa: ANN001, ANN202
            return np.tile(np.eye(3, dtype=np.float32)[1 if self.precision == "bf16" else 0], (len(texts), 1))

    for cls, name in ((NpzCache, "emb.npz"), (PickleCache, "emb.pkl")):
        fp32 = cls(Fake("fp32"), tmp_path / name)
        bf16 = cls(Fake("bf16"), tmp_path / name)
        assert fp32.path == tmp_path / name
        assert bf16.path == tmp_path / name.replace(".", ".bf16.")
        fp32.encode(["a"])
        bf16.encode(["a"])
        fp32.save()
        bf16.save()
        # reloaded, each file gives back its own vectors, never the other precision's
        assert cls(Fake("fp32"), tmp_path / name).encode(["a"])[0].tolist() == [1.0, 0.0, 0.0]
        assert cls(Fake("bf16"), tmp_path / name).encode(["a"])[0].tolist() == [0.0, 1.0, 0.0]


@pytest.fixture(scope="module")
def encoders():
    try:
        from newsfuse.embed import get_encoder

        return get_encoder(precision="fp32"), get_encoder(precision="bf16")
    except EncoderUnavailable as exc:
        pytest.skip(f"MiniLM encoder unavailable: {exc}")


def test_one_shared_encoder_per_precision_and_the_setting_chooses(encoders, monkeypatch):
    from newsfuse.embed import get_encoder

    fp32, bf16 = encoders
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    assert get_encoder(precision="fp32") is fp32 and get_encoder(precision="bf16") is bf16
    assert get_encoder(precision="auto") is (bf16 if native_bf16() else fp32)
    for setting, chosen in (("fp32", fp32), ("bf16", bf16)):
        monkeypatch.setenv("NEWSFUSE_PRECISION", setting)
        assert get_encoder() is chosen


def test_bf16_vectors_agree_with_fp32(encoders):
    fp32, bf16 = encoders
    a, b = fp32.encode(SENTENCES), bf16.encode(SENTENCES)
    assert not np.array_equal(a, b)  # bf16 really ran
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-4)
    assert (np.sum(a * b, axis=1) > 0.999).all()
    sa, sb = a @ a.T, b @ b.T
    assert np.abs(sa - sb).max() < 0.01
    # what retrieval uses: a sentence's nearest other sentence is the same at both precisions, unless
    # two candidates are within 0.01 of each other in fp32
    np.fill_diagonal(sa, -1)
    np.fill_diagonal(sb, -1)
    top2 = np.sort(sa, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 0.01
    assert clear.sum() >= 4
    assert (sa.argmax(1) == sb.argmax(1))[clear].all()


def test_fp32_stays_fp32_inside_an_autocast(encoders):
    import torch

    fp32, _ = encoders
    plain = fp32.inner.encode(SENTENCES[:3])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        inside = fp32.inner.encode(SENTENCES[:3])
    np.testing.assert_array_equal(plain, inside)


def test_fits_encode_in_fp32_whatever_the_setting(encoders, tmp_path, monkeypatch):
    from newsfuse.cluster.features import embedding_text
    from newsfuse.cluster.fit import _vectors
    from newsfuse.model import Article

    monkeypatch.setenv("NEWSFUSE_PRECISION", "bf16")
    monkeypatch.setenv("NEWSFUSE_CACHE_DIR", str(tmp_path))
    fp32, _ = encoders
    arts = [Article(id=str(i), title=t.split(",")[0], text=t, outlet="x") for i, t in enumerate(SENTENCES[:2])]
    vecs = _vectors(arts)
    assert [p.name for p in tmp_path.iterdir()] == ["minilm.npz"]
    np.testing.assert_allclose(vecs, fp32.inner.encode([embedding_text(a) for a in arts]), atol=1e-6)


def test_bf16_cross_encoder_and_checker_agree_with_fp32(encoders):
    from newsfuse.check import Checker
    from newsfuse.check.crossenc import CrossEncoder
    from newsfuse.model import Article

    weights = resources.files("newsfuse.check").joinpath("weights").joinpath("crossenc.safetensors")
    pairs = [(SENTENCES[0], "A ferry caught fire on Tuesday."), (SENTENCES[0], "The ferry fire happened on Friday.")]
    pairs += [(SENTENCES[3], "Bus fares will rise by 25 cents."), (SENTENCES[5], "The bank cut its rate.")]
    la = CrossEncoder(weights).score(pairs)
    lb = CrossEncoder(weights, precision="bf16").score(pairs)
    assert not np.array_equal(la, lb)  # bf16 really ran
    assert np.abs(la - lb).max() < 0.25
    assert min(lb[0], lb[2]) > max(lb[1], lb[3])

    fp32, bf16 = encoders
    checkers = [Checker.load(settings=load_settings(precision="fp32")), Checker.load(encoder=bf16)]
    assert [(c.encoder.precision, c.cross.precision) for c in checkers] == [("fp32", "fp32"), ("bf16", "bf16")]
    with pytest.raises(ValueError, match="the encoder runs in bf16"):
        Checker.load(encoder=bf16, precision="fp32")
    # settings only set a default: an encoder given beside them keeps its own precision
    assert Checker.load(settings=load_settings(precision="fp32"), encoder=bf16).precision == "bf16"
    src = [Article(id="a", title="", outlet="Harbour Gazette", text=" ".join(SENTENCES[:3] + SENTENCES[7:]))]
    summary = (
        "A fire broke out on the ferry Nordlys at Port Halvard on Tuesday morning. The ferry sank at sea on Friday."
    )
    reports = [c.check(summary, src) for c in checkers]
    for report in reports:
        assert [v.label == "supported" for v in report.verdicts] == [True, False]
    assert [v.label for v in reports[0].verdicts] == [v.label for v in reports[1].verdicts]
    assert abs(reports[0].verdicts[0].score - reports[1].verdicts[0].score) < 0.05
    assert reports[0].verdicts[0].evidence[0].text == reports[1].verdicts[0].evidence[0].text == SENTENCES[0]


def test_the_pipeline_encodes_at_its_settings_precision(encoders, tmp_path):
    from newsfuse.pipeline import Pipeline

    fp32, bf16 = encoders
    for precision, enc in (("fp32", fp32), ("bf16", bf16)):
        with Pipeline(load_settings(db=str(tmp_path / f"{precision}.sqlite3"), precision=precision)) as nf:
            assert nf.encoder is enc
            assert nf.checker.encoder is enc and nf.checker.precision == precision
