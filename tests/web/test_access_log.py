"""uvicorn's access log never carries a query string: searches by name or NHS number are GETs."""

from __future__ import annotations

import logging

from web.logs import ACCESS_LOGGER, RedactQueryStrings, configure_web_logging


def access_record(path: str) -> logging.LogRecord:
    # The record uvicorn's httptools and h11 protocols make for each request.
    return logging.LogRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


def test_a_search_by_name_or_nhs_number_is_logged_without_its_query() -> None:
    for path in ("/patients?q=Ann+Example", "/api/v1/patients?nhs_number=9434765919"):
        record = access_record(path)
        assert RedactQueryStrings().filter(record)
        line = record.getMessage()
        assert "Example" not in line and "9434765919" not in line
        assert "?[query redacted]" in line


def test_a_path_without_a_query_is_logged_as_it_was() -> None:
    record = access_record("/patients/12")
    RedactQueryStrings().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /patients/12 HTTP/1.1" 200'


def test_the_web_app_puts_the_filter_on_uvicorns_access_logger_once() -> None:
    configure_web_logging()
    configure_web_logging()
    filters = logging.getLogger(ACCESS_LOGGER).filters
    assert sum(isinstance(f, RedactQueryStrings) for f in filters) == 1
