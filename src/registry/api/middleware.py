"""Problem details for what the API's own handlers never see: unknown paths, methods not allowed."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from registry.api.problems import PROBLEM_TYPE, problem, respond

PREFIX = "/api/v1/"


class ProblemDetails:
    """Any refusal under ``/api/v1/`` that is not yet problem details (Django's 404 page, the
    framework's plain 405) becomes one, with the same status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(PREFIX) or response.status_code < 400 or response.get("Content-Type") == PROBLEM_TYPE:
            return response
        detail = {404: "No such resource in this API.", 405: "This method is not allowed here."}.get(response.status_code, "")
        answer = respond(response.status_code, problem(response.status_code, response.reason_phrase, detail or response.reason_phrase))
        if response.has_header("Allow"):
            answer["Allow"] = response["Allow"]
        return answer
