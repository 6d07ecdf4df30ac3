from services.notegen.app import SPEC, NotegenSettings
from shared.runtime import serve

serve(SPEC, NotegenSettings())
