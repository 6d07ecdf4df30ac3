"""RTF of faster-whisper on a GPU machine vs its CPU, on samples/encounter.wav (mixed to mono).

Usage: MODEL_DIR=/path/to/ct2-model python3 bench/gpu_rtf.py cuda/float16,cuda/int8_float16,cpu/int8
Needs only ctranslate2 + faster-whisper (PyAV is not used: the WAV is read with the stdlib ``wave``).
"""
import json, os, statistics, sys, time, wave
sys.path[:0] = ["/tmp/site", "/tmp/shim"]
import numpy as np
from faster_whisper import WhisperModel

w = wave.open("samples/encounter.wav")
ch = w.getnchannels()
audio = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).reshape(-1, ch).astype(np.float32).mean(axis=1) / 32768
secs = len(audio) / 16000
out = {"audio_seconds": secs, "ld_library_path": os.environ.get("LD_LIBRARY_PATH", "")}
configs = [c.split("/") for c in sys.argv[1].split(",")]
for device, ctype in configs:
    key = f"{device}/{ctype}"
    try:
        t0 = time.perf_counter()
        m = WhisperModel(os.environ.get("MODEL_DIR", "/tmp/model"), device=device, compute_type=ctype, cpu_threads=2 if device == "cpu" else 0)
        load_s = time.perf_counter() - t0
        times, text = [], ""
        for _ in range(5 if device == "cuda" else 3):
            t = time.perf_counter()
            segs, _ = m.transcribe(audio, beam_size=5, language="en", vad_filter=False)
            text = " ".join(s.text for s in segs)
            times.append(time.perf_counter() - t)
        out[key] = {"load_s": round(load_s, 2), "times_s": [round(x, 3) for x in times],
                    "rtf_median": round(statistics.median(times) / secs, 4), "words": len(text.split()),
                    "head": text[:120]}
    except Exception as e:  # noqa: BLE001
        out[key] = {"error": f"{type(e).__name__}: {e}"[:400]}
print(json.dumps(out, indent=1))
