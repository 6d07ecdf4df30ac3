from services.coding.app import SPEC, CodingSettings
from shared.runtime import serve

serve(SPEC, CodingSettings())
