import json
import logging

import pytest

from shared.logging import JsonFormatter

pytestmark = pytest.mark.unit

PHI = "John Smith 555-0142 takes warfarin"


def test_json_log_drops_unknown_fields_and_exception_messages():
    logger = logging.getLogger("scribestream.test")
    formatter = JsonFormatter()
    try:
        raise ValueError(PHI)
    except ValueError:
        record = logger.makeRecord("scribestream.test", logging.ERROR, __file__, 1, "stage failed", (), __import__("sys").exc_info(),
                                   extra={"text": PHI, "encounter_id": "enc-9", "count": 3})
    line = formatter.format(record)
    payload = json.loads(line)
    assert payload["encounter_id"] == "enc-9" and payload["count"] == 3
    assert payload["error_class"] == "ValueError"
    assert PHI not in line and "warfarin" not in line
