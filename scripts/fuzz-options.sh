# Sourced by scripts/fuzz and scripts/fuzz-campaign: each harness's seed corpus and longest input.
seed_for() { case $1 in fuzz_render*) echo build-fuzz/seeds/render;; fuzz_definitions) echo build-fuzz/seeds/definitions;; *) echo build-fuzz/seeds/consent;; esac; }
# Longest input. The structure-aware harness grows its inputs (rows repeated, long words) up to
# the limit, and every execution parses and writes them again: 90 s from the seeds ran 70/s at
# 256 KB (coverage 7 843), 88/s at 128 KB (8 011), 155/s at 64 KB (8 042). At 64 KB every table
# but the receipt's `envois` (500 rows of 200 bytes) can still pass its row limit, through the
# same validator code.
max_len_for() { case $1 in fuzz_render_structured) echo 65536;; *) echo 262144;; esac; }
