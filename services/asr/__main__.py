from services.asr.app import SPEC, AsrSettings
from shared.runtime import serve

serve(SPEC, AsrSettings())
