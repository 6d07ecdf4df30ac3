from services.ehr_sink.app import SPEC, EhrSinkSettings
from shared.runtime import serve

serve(SPEC, EhrSinkSettings())
