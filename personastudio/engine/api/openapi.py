"""`GET /api/v1/openapi.json`: the engine's API as an OpenAPI 3.1 document.

Built from small helpers and the same constants the views and services check (lengths, page sizes,
statuses, languages, score formats, upload limits), so the document and the validation cannot drift
apart. What our engine adds beyond the public MusicMint reference (the contract's "(ours)" lines) is
marked `x-persona-studio: true` and says so in its description. The document holds no secret and no
host name: its server is the relative `/api/v1`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from personastudio.contract.types import (
    DESCRIPTION_MAX_CHARS,
    PERSONA_INFLUENCE_DEFAULT,
    PERSONA_INFLUENCE_MAX,
    PERSONA_INFLUENCE_MIN,
    PROMPT_MAX_CHARS,
    RETENTION_DAYS_DEFAULT,
    RETENTION_DAYS_MAX,
    TAGS_MAX_CHARS,
    TASK_STATUS_CODES,
    TASK_STATUSES,
    TITLE_MAX_CHARS,
)

from .. import services
from ..voice import consent_phrases, thresholds
from .envelope import MAX_JSON_DEPTH

OPENAPI_VERSION = "3.1.0"
#: The vendor extension that marks an operation, field or media type as ours, not MusicMint's.
EXTENSION = "x-persona-studio"
#: Where a signed link's kind names which audio of a clip it serves (services.clip_file_field).
FILE_KINDS = ("audio", "vocals", "band")
#: `music/parts`: the per-instrument stems are lossless.
PART_CONTENT_TYPE = "audio/flac"

JSON = "application/json"
MULTIPART = "multipart/form-data"


# --- small helpers ------------------------------------------------------------


def ours(node: dict[str, Any], why: str) -> dict[str, Any]:
    """Mark `node` (an operation or a schema) as our extension, and say what it adds."""
    described = node.get("description", "")
    note = f"(ours) {why}"
    return {**node, EXTENSION: True, "description": f"{described}\n\n{note}".strip()}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def text(description: str, **rules: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **rules}


def optional_text(description: str, **rules: Any) -> dict[str, Any]:
    """A text field where null and "" both mean "not given"."""
    return {"type": ["string", "null"], "description": description, **rules}


def obj(
    properties: dict[str, Any], *, required: tuple[str, ...] = (), description: str = "", **rules: Any
) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "object", "properties": properties, **rules}
    if required:
        node["required"] = list(required)
    if description:
        node["description"] = description
    return node


def envelope_of(data: dict[str, Any]) -> dict[str, Any]:
    """The contract's success envelope around `data`."""
    return obj(
        {
            "code": {"const": 0, "description": "0 on success."},
            "message": {"const": "ok"},
            "request_id": ref("RequestId"),
            "data": data,
        },
        required=("code", "message", "request_id", "data"),
    )


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {JSON: {"schema": schema}}


def ok(description: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": json_content(envelope_of(data))}


def binary(content_type: str) -> dict[str, Any]:
    return {content_type: {"schema": {"type": "string", "contentMediaType": content_type}}}


def errors(*statuses: int) -> dict[str, Any]:
    """References to the shared error responses, by status."""
    return {str(status): {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"} for status in statuses}


def json_body(schema: dict[str, Any], *, required: bool = True, description: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"required": required, "content": json_content(schema)}
    if description:
        body["description"] = description
    return body


def query(name: str, schema: dict[str, Any], description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def path_id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": "^[^/]+$"},
    }


# --- errors -------------------------------------------------------------------

# Every error the engine answers: status -> (component name, what it means). The envelope's `code`
# equals the HTTP status.
ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is invalid; `message` says what to send instead."),
    401: ("Unauthorized", "The Bearer API key is missing or wrong."),
    404: (
        "NotFound",
        ("No such id for this account (another account's ids are unknown here too), or no such endpoint."),
    ),
    409: ("Conflict", "The request conflicts with the state of what it names."),
    413: (
        "PayloadTooLarge",
        (
            "The body is larger than the server reads: JSON bodies up to the request limit, "
            "audio files up to the upload limit."
        ),
    ),
    422: (
        "UnprocessableAudio",
        (
            "The audio cannot be used: not audio, too long, too little voice, or (ours) a "
            "voice check that did not match, with its `similarity` in `data`."
        ),
    ),
    429: (
        "RateLimited",
        ("Too many requests of this kind for now: nothing was created. Try again after `Retry-After` seconds."),
    ),
    500: ("InternalError", "The engine had an internal error. Not sent for bad input."),
}


def _error_envelope(status: int) -> dict[str, Any]:
    return obj(
        {
            "code": {"const": status, "description": "The HTTP status, repeated."},
            "message": {"type": "string", "minLength": 1, "description": "A sentence for a person."},
            "request_id": ref("RequestId"),
            "data": {
                "type": ["object", "null"],
                "description": "null, or details of the error (ours: a failed voice check's `similarity`).",
            },
        },
        required=("code", "message", "request_id", "data"),
    )


def _error_response(status: int) -> dict[str, Any]:
    _name, description = ERROR_RESPONSES[status]
    response: dict[str, Any] = {"description": description, "content": json_content(_error_envelope(status))}
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "description": "Whole seconds to wait before sending the request again.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    return response


# --- the data -----------------------------------------------------------------

_STATUS = {"type": "string", "enum": list(TASK_STATUSES)}
_UNIX_MS = {"type": ["integer", "null"], "description": "Unix time in milliseconds."}


def _schemas() -> dict[str, Any]:
    return {
        "RequestId": {"type": "string", "pattern": "^req-[0-9]+$", "examples": ["req-1710000000000"]},
        "GenerateRequest": obj(
            {
                "prompt": optional_text(
                    "Lyrics (custom mode), with section tags such as [Verse] or [副歌] on their own lines.",
                    maxLength=PROMPT_MAX_CHARS,
                ),
                "title": optional_text("The song's title.", maxLength=TITLE_MAX_CHARS),
                "tags": optional_text(
                    "Style tags, space- or comma-separated, e.g. `pop upbeat female vocals`.", maxLength=TAGS_MAX_CHARS
                ),
                "gpt_description_prompt": optional_text(
                    "Inspiration mode: the song described in plain words. Cannot be combined with `prompt` or `tags`.",
                    maxLength=DESCRIPTION_MAX_CHARS,
                ),
                "make_instrumental": {"type": "boolean", "default": False, "description": "No vocals."},
                "persona_id": optional_text("A persona (from `music/persona`) to sing the song."),
                "persona_influence": ours(
                    {
                        "type": ["number", "null"],
                        "minimum": PERSONA_INFLUENCE_MIN,
                        "maximum": PERSONA_INFLUENCE_MAX,
                        "default": PERSONA_INFLUENCE_DEFAULT,
                        "description": "How much of the persona sings: 0 is the stock voice in the persona's "
                        "range, 1 the persona as learned, 0.6 the voice 60 % of the way to it. Only with "
                        "`persona_id` (without it: 400); null means 1.",
                    },
                    "The persona's fitted voice, its envelopes and EQ are applied by this amount.",
                ),
                "continue_clip_id": optional_text("A clip to extend."),
                "continue_at": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "description": "Seconds into `continue_clip_id` where the extension starts; at most "
                    "the clip's length. Only with `continue_clip_id`.",
                },
                "callback_url": optional_text(
                    "A webhook called once when the task completes or fails, signed with "
                    "`X-Signature` (HMAC-SHA256 of the body)."
                ),
                "retention_days": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "maximum": RETENTION_DAYS_MAX,
                    "default": RETENTION_DAYS_DEFAULT,
                    "description": "How long the audio is kept, in days.",
                },
            },
            description="At least one of `prompt`, `tags` and `gpt_description_prompt` is required.",
            dependentRequired={"continue_at": ["continue_clip_id"], "persona_influence": ["persona_id"]},
        ),
        "TaskRef": obj({"task_id": {"type": "string"}, "status": _STATUS}, required=("task_id", "status")),
        "ResultItem": obj(
            {
                "id": {"type": "string", "description": "The clip id of this variant."},
                "audio_url": {"type": "string", "format": "uri", "description": "Signed MP3 link, until `expire_at`."},
                "image_url": {"type": "string", "description": "Signed cover art link (SVG)."},
                "title": {"type": "string"},
                "duration": {"type": "number", "description": "Seconds."},
                "tags": {"type": "string"},
                "prompt": {"type": "string"},
                "expire_at": _UNIX_MS,
            },
            required=("id", "audio_url"),
        ),
        "TaskInfo": obj(
            {
                "id": {"type": "string"},
                "status": _STATUS,
                "created_at": _UNIX_MS,
                "results": {
                    "type": "array",
                    "items": ref("ResultItem"),
                    "description": "When completed: one item per variant.",
                },
                "error": {"type": "string", "description": "When failed: what went wrong."},
            },
            required=("id", "status", "created_at"),
        ),
        "TaskListRequest": obj(
            {
                "page": {"type": "integer", "minimum": 1, "maximum": services.MAX_TASK_PAGE, "default": 1},
                "page_size": {"type": "integer", "minimum": 1, "maximum": services.MAX_TASK_PAGE_SIZE, "default": 20},
                "status": {
                    "type": "integer",
                    "enum": [-1, *sorted(TASK_STATUS_CODES.values())],
                    "default": -1,
                    "description": "-1 all, "
                    + ", ".join(f"{code} {name}" for name, code in TASK_STATUS_CODES.items())
                    + ".",
                },
            }
        ),
        "TaskPage": obj(
            {
                "items": {
                    "type": "array",
                    "items": obj(
                        {
                            "id": {"type": "string"},
                            "status": _STATUS,
                            "created_at": _UNIX_MS,
                            "error": {"type": "string"},
                        },
                        required=("id", "status", "created_at"),
                    ),
                    "description": "Summaries, newest first.",
                },
                "total": {"type": "integer", "minimum": 0},
                "page": {"type": "integer", "minimum": 1},
            },
            required=("items", "total", "page"),
        ),
        "PersonaRequest": obj(
            {
                "name": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": services.PERSONA_NAME_MAX_CHARS,
                    "pattern": r"\S",
                    "description": "A display name, in any language.",
                },
                "clip_id": {"type": "string", "minLength": 1, "description": "The clip whose vocal style is learned."},
                "verification_clip_id": ours(
                    {
                        "type": "string",
                        "description": "The clipId of an uploaded recording of the clip's singer "
                        "reading the consent phrase from `music/persona/phrase`.",
                    },
                    "Required for a clip with a real person's voice (anything but this engine's own songs and "
                    "their stems); the two voices are compared before anything is learned.",
                ),
            },
            required=("name", "clip_id"),
        ),
        "PersonaResult": obj(
            {
                "taskBatchId": {"type": "string"},
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "items": obj(
                        {
                            "id": {"type": "string", "description": "The persona_id to pass to music/generate."},
                            "status": {"type": "string", "description": "`complete` when ready to use."},
                            "likeness": ours(
                                {"type": "number", "minimum": 0, "maximum": 1},
                                "How close the persona sings to its clip, 0..1.",
                            ),
                            "voice_check": ours(
                                obj({"similarity": {"type": "number"}}, required=("similarity",)),
                                "The consent voice check's similarity, when one was made.",
                            ),
                        },
                        required=("id", "status"),
                    ),
                },
            },
            required=("taskBatchId", "items"),
        ),
        "ConsentPhrase": ours(
            obj(
                {
                    "phrase": {"type": "string"},
                    "lang": {"type": "string", "enum": list(consent_phrases.LANGUAGES)},
                    "date": {"type": "string", "format": "date"},
                    "protocol": {"type": "string", "examples": [thresholds.VOICE_CHECK_PROTOCOL]},
                },
                required=("phrase", "lang", "date", "protocol"),
            ),
            "The consent phrase with today's date.",
        ),
        "UploadRequest": obj(
            {
                "audio_url": {
                    "type": "string",
                    "minLength": 1,
                    "description": "A public http(s) URL of an MP3, WAV, FLAC, … file. Private, loopback "
                    "and link-local addresses are refused.",
                },
            },
            required=("audio_url",),
        ),
        "UploadFile": ours(
            obj(
                {
                    "file": {
                        "type": "string",
                        "contentMediaType": "application/octet-stream",
                        "description": "The audio file, with a filename such as `song.mp3`.",
                    },
                },
                required=("file",),
            ),
            "Send the audio itself instead of a URL to fetch.",
        ),
        "UploadResult": obj(
            {
                "clipId": {"type": "string"},
                "audioUrl": {"type": "string", "format": "uri"},
                "duration": {"type": "integer", "minimum": 0, "description": "Whole seconds."},
                "status": {"const": 1, "description": "1: ready."},
            },
            required=("clipId", "audioUrl", "duration", "status"),
            description="Note the camelCase keys, as in the public reference.",
        ),
        "StemRequest": obj(
            {
                "clip_id": {"type": "string", "minLength": 1},
                "vocal_start_s": {
                    "type": ["number", "null"],
                    "minimum": 0,
                    "default": 0,
                    "description": "Where the region to separate starts, in seconds.",
                },
                "vocal_end_s": {
                    "type": ["number", "null"],
                    "description": "Where it ends (default: the clip's end); the region is at least one second.",
                },
            },
            required=("clip_id",),
        ),
        "StemResult": obj(
            {
                "id": {"type": "string"},
                "source_clip_id": {"type": "string"},
                "status": {"const": "complete"},
                "vocal_audio_url": {"type": "string", "format": "uri"},
                "vocal_start_s": {"type": "number"},
                "vocal_end_s": {"type": ["number", "null"]},
                "instrumental_audio_url": ours({"type": "string"}, "The instrumental stem's signed MP3 link."),
                "vocal_clip_id": ours(
                    {"type": "string"}, "The vocal stem as a clip id, usable wherever a clip id is taken."
                ),
                "instrumental_clip_id": ours({"type": "string"}, "The instrumental stem as a clip id."),
            },
            required=("id", "source_clip_id", "status", "vocal_audio_url", "vocal_start_s", "vocal_end_s"),
        ),
        "PartList": ours(
            obj(
                {
                    "clip_id": {"type": "string"},
                    "parts": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Stem names in mix order, e.g. `lead vocal`, `drums`, `bass`.",
                    },
                },
                required=("clip_id", "parts"),
            ),
            "A generated track's per-instrument stems.",
        ),
    }


# --- the operations -------------------------------------------------------------

_CREATING_ERRORS = (400, 401, 413, 429, 500)


def _paths() -> dict[str, Any]:
    clip_query = query("clip_id", {"type": "string", "minLength": 1}, "A generated track's clip id.", required=True)
    signed = [
        query("exp", {"type": "integer"}, "When the link expires, Unix ms.", required=True),
        query("sig", {"type": "string"}, "The link's signature.", required=True),
    ]
    not_found_page = {
        "description": "No such file: unsigned, forged, expired or gone (a plain page), or an "
        "address that is no endpoint at all (the envelope).",
        "content": {"text/html": {"schema": {"type": "string"}}, **json_content(_error_envelope(404))},
    }
    return {
        "/music/generate": {
            "post": {
                "operationId": "generate",
                "summary": "Start a song (asynchronous)",
                "requestBody": json_body(ref("GenerateRequest")),
                "responses": {
                    "200": ok("The task was queued; poll `task/{task_id}`.", ref("TaskRef")),
                    **errors(*_CREATING_ERRORS, 404),
                },
            }
        },
        "/task/{task_id}": {
            "get": {
                "operationId": "getTask",
                "summary": "A task's status and, when completed, its results",
                "parameters": [path_id("task_id", "The task id from music/generate.")],
                "responses": {"200": ok("The task.", ref("TaskInfo")), **errors(400, 401, 404, 500)},
            }
        },
        "/tasks": {
            "post": {
                "operationId": "listTasks",
                "summary": "List tasks, newest first",
                "requestBody": json_body(ref("TaskListRequest"), required=False),
                "responses": {"200": ok("A page of task summaries.", ref("TaskPage")), **errors(400, 401, 413, 500)},
            }
        },
        "/music/persona": {
            "post": {
                "operationId": "createPersona",
                "summary": "Learn a persona from a clip",
                "description": "Synchronous: the reply is final. Learning takes a minute or two of the request.",
                "requestBody": json_body(ref("PersonaRequest")),
                "responses": {
                    "200": ok("The persona.", ref("PersonaResult")),
                    **errors(*_CREATING_ERRORS, 404, 409, 422),
                },
            }
        },
        "/music/persona/phrase": {
            "get": ours(
                {
                    "operationId": "getConsentPhrase",
                    "summary": "The consent phrase a clip's singer reads",
                    "parameters": [
                        query(
                            "lang",
                            {"type": "string", "enum": list(consent_phrases.LANGUAGES), "default": "en"},
                            "The phrase's language.",
                        )
                    ],
                    "responses": {"200": ok("The phrase.", ref("ConsentPhrase")), **errors(400, 401, 500)},
                },
                "Record it and upload it, then pass its clipId as `verification_clip_id` to music/persona.",
            )
        },
        "/music/upload": {
            "post": {
                "operationId": "upload",
                "summary": "Keep an audio file as a clip (synchronous)",
                "requestBody": {
                    "required": True,
                    "content": {
                        **json_content(ref("UploadRequest")),
                        # A media type has no description in OpenAPI 3.1: UploadFile describes it.
                        MULTIPART: {
                            "schema": ref("UploadFile"),
                            EXTENSION: True,
                            "encoding": {"file": {"contentType": "application/octet-stream"}},
                        },
                    },
                    "description": (
                        f"JSON with `audio_url`, or (ours) the file itself, up to "
                        f"{settings.ENGINE_UPLOAD_MAX_MB} MB and {settings.CLIP_MAX_DURATION_S} s."
                    ),
                },
                "responses": {"200": ok("The clip.", ref("UploadResult")), **errors(*_CREATING_ERRORS, 422)},
            }
        },
        "/music/stem": {
            "post": {
                "operationId": "separateStems",
                "summary": "Split a clip into vocals and instrumental (synchronous)",
                "requestBody": json_body(ref("StemRequest")),
                "responses": {"200": ok("The stems.", ref("StemResult")), **errors(*_CREATING_ERRORS, 404, 422)},
            }
        },
        "/music/sheet": {
            "get": ours(
                {
                    "operationId": "getSheet",
                    "summary": "A generated track's score as MIDI or a MusicXML lead sheet",
                    "parameters": [
                        clip_query,
                        query(
                            "format",
                            {"type": "string", "enum": list(services.SHEET_FORMATS)},
                            "The file to send.",
                            required=True,
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "The file, as an attachment.",
                            "content": {
                                content_type: {"schema": {"type": "string", "contentMediaType": content_type}}
                                for content_type, _extension in services.SHEET_FORMATS.values()
                            },
                        },
                        **errors(400, 401, 404, 500),
                    },
                },
                "Songs made by this engine keep the score they were rendered from.",
            )
        },
        "/music/parts": {
            "get": ours(
                {
                    "operationId": "getParts",
                    "summary": "A generated track's per-instrument stems",
                    "parameters": [
                        clip_query,
                        query("part", {"type": "string"}, "A stem name from the list: send that stem (FLAC)."),
                    ],
                    "responses": {
                        "200": {
                            "description": "Without `part`, the stems' names; with it, that stem.",
                            "content": {**json_content(envelope_of(ref("PartList"))), **binary(PART_CONTENT_TYPE)},
                        },
                        **errors(400, 401, 404, 500),
                    },
                },
                "Exact, time-aligned stems of songs made by this engine.",
            )
        },
        "/files/{clip_id}/{kind}.mp3": {
            "get": {
                "operationId": "getAudio",
                "summary": "Signed, expiring audio: what `audio_url` points at",
                "description": "The signature is the key: no Authorization header. Answers byte ranges.",
                "security": [],
                "parameters": [
                    path_id("clip_id", "The clip id."),
                    {
                        "name": "kind",
                        "in": "path",
                        "required": True,
                        "description": "Which audio.",
                        "schema": {"type": "string", "enum": list(FILE_KINDS)},
                    },
                    *signed,
                    {
                        "name": "Range",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "e.g. `bytes=0-`.",
                    },
                ],
                "responses": {
                    "200": {"description": "The MP3.", "content": binary("audio/mpeg")},
                    "206": {"description": "The range asked for.", "content": binary("audio/mpeg")},
                    "416": {"description": "The range is outside the file."},
                    "404": not_found_page,
                },
            }
        },
        "/covers/{clip_id}.svg": {
            "get": {
                "operationId": "getCover",
                "summary": "Signed cover art: what `image_url` points at",
                "security": [],
                "parameters": [path_id("clip_id", "A generated clip's id."), *signed],
                "responses": {
                    "200": {"description": "The cover.", "content": binary("image/svg+xml")},
                    "404": not_found_page,
                },
            }
        },
        "/openapi.json": {
            "get": ours(
                {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1.", "content": json_content({"type": "object"})}},
                },
                "Generate a client from it.",
            )
        },
    }


def openapi_document() -> dict[str, Any]:
    """The whole document (built per call: the limits it states come from settings)."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Persona Studio engine: the Music API",
            "version": "1",
            "summary": "The MusicMint-compatible API served by Persona Studio's built-in engine.",
            "description": (
                "Every JSON answer is an envelope: `code` 0 and `data` on success; on an error `code` equals the "
                "HTTP status and `message` is a sentence. Bodies are UTF-8 JSON objects, at most "
                f"{MAX_JSON_DEPTH} levels deep and {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB; numbers "
                "are finite and text holds no lone surrogate or NUL. A method an endpoint does not take is "
                f"answered 405 with `Allow`. Operations, fields and media types marked `{EXTENSION}: true` are "
                "this engine's own extensions beyond the public MusicMint reference; a MusicMint client need "
                "not use them, and other MusicMint services may not offer them."
            ),
            EXTENSION: "Marks this engine's own extensions beyond the public MusicMint reference.",
        },
        "servers": [{"url": "/api/v1", "description": "This server."}],
        "security": [{"apiKey": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": f"{services.KEY_PREFIX}…",
                    "description": f"An API key (`{services.KEY_PREFIX}` and random characters) issued by "
                    "`manage.py engine_key --user NAME`.",
                }
            },
            "schemas": _schemas(),
            "responses": {name: _error_response(status) for status, (name, _d) in ERROR_RESPONSES.items()},
        },
    }
