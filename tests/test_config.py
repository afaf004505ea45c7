from __future__ import annotations

import pytest

from newsfuse.config import ConfigError, load_settings


def test_precedence_file_env_override(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[newsfuse]\nkey_points = 3\nper_host_delay = 2.5\napi_token = "s3cret"\n')
    monkeypatch.setenv("NEWSFUSE_KEY_POINTS", "5")
    s = load_settings(cfg)
    assert s.key_points == 5  # environment beats the file
    assert s.per_host_delay == 2.5
    assert load_settings(cfg, key_points=4).key_points == 4  # explicit beats both
    assert s.redacted()["api_token"] == "***"


def test_bad_values_are_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSFUSE_RETRIES", "many")
    with pytest.raises(ConfigError, match="retries"):
        load_settings()
    monkeypatch.delenv("NEWSFUSE_RETRIES")
    cfg = tmp_path / "c.toml"
    cfg.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_booleans_from_env(monkeypatch):
    monkeypatch.setenv("NEWSFUSE_ALLOW_PRIVATE_ADDRESSES", "yes")
    assert load_settings().allow_private_addresses is True
    monkeypatch.setenv("NEWSFUSE_DB", "/tmp/x.sqlite3")
    assert load_settings().db == "/tmp/x.sqlite3"


def test_an_encoder_that_does_not_exist_is_refused(monkeypatch):
    monkeypatch.setenv("NEWSFUSE_ENCODER", "bogus")
    with pytest.raises(ConfigError, match="'encoder': 'bogus' is not one of minilm"):
        load_settings()
    monkeypatch.setenv("NEWSFUSE_ENCODER", "minilm")
    assert load_settings().encoder == "minilm"


def test_the_old_hashing_encoder_name_falls_back_to_minilm(monkeypatch, caplog):
    monkeypatch.setenv("NEWSFUSE_ENCODER", "hashing")
    with caplog.at_level("WARNING"):
        assert load_settings().encoder == "minilm"
    assert "not built in" in caplog.text
