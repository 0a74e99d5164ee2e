"""Persona Studio settings: one module, decided by environment variables.

With nothing set the app runs on SQLite, local files, the built-in engine and
the database task backend.
"""

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

from personastudio.providers import registry as providers
from personastudio.secret_key_file import DEFAULT_SECRET_KEY, default_database_url, key_file_path, read_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A setting from the environment; `NAME_FILE` (a path) wins, for secrets."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "True" if default else "False")
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")
    return value == "True"


def env_int(name: str, default: int) -> int:
    try:
        return int(env(name, str(default)))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number") from exc


DEBUG = env_bool("DEBUG", True)
DATABASE_URL = env("DATABASE_URL", default_database_url(BASE_DIR))
# SECRET_KEY (or SECRET_KEY_FILE), else this install's random key, which `make run` writes beside the
# database (personastudio/secret_key_file.py). The built-in key is public: only DEBUG may run on it.
SECRET_KEY_PATH = key_file_path(DATABASE_URL, BASE_DIR)
SECRET_KEY = env("SECRET_KEY") or read_key(SECRET_KEY_PATH) or DEFAULT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DEBUG is off but SECRET_KEY is the built-in development key, which is public: set SECRET_KEY "
        "(or SECRET_KEY_FILE, the path of a file holding it) to a long random value, e.g. the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))', "
        f"or run `make run` once to create {SECRET_KEY_PATH}."
    )
ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "axes",  # log-in throttling (see "Security headers and log-in throttling")
    "csp",
    "personastudio",
    "personastudio.accounts",
    "personastudio.clips",
    "personastudio.personas",
    "personastudio.generations",
    "personastudio.engine",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every answer
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's cookie first, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login except the ones marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a locked-out log-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "personastudio.urls"
WSGI_APPLICATION = "personastudio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# SQLite tuned so the web process and the worker can write at once
# (stack notes: defaults gave thousands of "database is locked" in 10 s).
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
}
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    # A file (not :memory:) so a worker thread in the tests shares the test database.
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DB_NAME", str(BASE_DIR / ".test-db.sqlite3"))}
# --- PostgreSQL (DATABASE_URL=postgres://…; helper-postgres) ---
# Reconnect after a server restart instead of failing the first query on a dead pooled connection.
# The tests' database: test_<NAME>, or TEST_DB_NAME so parallel runs on one server don't collide
# (a SQLite-style path there gives its file name, e.g. /tmp/alice-test.sqlite3 -> test_alice_test).
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if env("TEST_DB_NAME"):
        _test_db = re.sub(r"[^a-z0-9_]+", "_", Path(env("TEST_DB_NAME")).name.split(".")[0].lower()).strip("_")
        _test_db = _test_db if _test_db.startswith("test_") else f"test_{_test_db}"
        DATABASES["default"]["TEST"] = {"NAME": _test_db[:63]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Plain storage: no collectstatic step for `make run` or the tests.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# gunicorn has no static-file serving of its own: whitenoise serves the app's static folders straight
# from the finders (no collectstatic step), with the same caching headers under make run and in production.
WHITENOISE_USE_FINDERS = True

# Private media: nothing under MEDIA_ROOT is served by URL; views check ownership.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Never routed: private media is served only by views that check ownership. (Django's
# test live server needs a string here; it is not a public URL of the app.)
MEDIA_URL = "/private-media-is-not-served/"

# --- Media storage -------------------------------------------------------------------------------------
# MEDIA_STORAGE=disk (the default): media under MEDIA_ROOT. MEDIA_STORAGE=s3: every clip, stem, part,
# track and cover in one private S3-compatible bucket through django-storages (AWS, SeaweedFS, MinIO, ...).
# Code reaches media only through the storage API (personastudio/media_files.py for a local copy), and
# playback streams ranged reads from the bucket after the ownership check (personastudio/http_range.py).
# `manage.py migrate_media --to s3` (or `--to disk`) copies existing files across.
MEDIA_STORAGE = env("MEDIA_STORAGE", "disk")
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL")  # unset: AWS itself
# The bucket as a storage (STORAGES' form), whenever a bucket is named: the default storage under
# MEDIA_STORAGE=s3, and where `migrate_media --to s3` copies to (before MEDIA_STORAGE is switched).
MEDIA_S3_STORAGE = None
if AWS_STORAGE_BUCKET_NAME:
    MEDIA_S3_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL or None,
            # Unset keys: boto3's own chain (instance role, ~/.aws). AWS_*_FILE reads a key from a file.
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            # Path-style addressing for a self-hosted endpoint (no wildcard DNS for bucket.host needed).
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", "path" if AWS_S3_ENDPOINT_URL else "") or None,
            "signature_version": "s3v4",
            # Private: objects get no ACL (the bucket's private default) and any URL is signed.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            # Like the local disk: a second file of the same name gets a new name instead of replacing it.
            "file_overwrite": False,
            # A whole-file read (decoding, WAV export) spills to a temporary file past 8 MB, not all in memory.
            "max_memory_size": 8 * 1024 * 1024,
        },
    }
if MEDIA_STORAGE == "s3":
    if MEDIA_S3_STORAGE is None:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME, the bucket that keeps the media.")
    STORAGES["default"] = MEDIA_S3_STORAGE
elif MEDIA_STORAGE != "disk":
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be disk or s3, not {MEDIA_STORAGE!r}")

TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A task RUNNING longer than this is taken for lost (its worker was killed).
TASK_STALE_AFTER_S = env_int("TASK_STALE_AFTER_S", 15 * 60)
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 2)
SWEEP_INTERVAL_S = env_int("SWEEP_INTERVAL_S", 30)

# Uploads
CLIP_MAX_UPLOAD_MB = env_int("CLIP_MAX_UPLOAD_MB", 50)
CLIP_MAX_DURATION_S = env_int("CLIP_MAX_DURATION_S", 10 * 60)
# Songs (and their stems) grow past the upload limit when extended; this bounds the chain.
SONG_MAX_DURATION_S = env_int("SONG_MAX_DURATION_S", 20 * 60)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The music provider: a name from personastudio.providers.registry (the built-in engine by default,
# or a hosted MusicMint-compatible service).
MUSIC_PROVIDER = env("MUSIC_PROVIDER", providers.DEFAULT)
if MUSIC_PROVIDER not in providers.NAMES:
    raise ImproperlyConfigured(f"MUSIC_PROVIDER must be one of: {', '.join(providers.NAMES)}")
MUSIC_API_BASE_URL = env("MUSIC_API_BASE_URL", "").rstrip("/")
MUSIC_API_KEY = env("MUSIC_API_KEY", "")
MUSIC_API_TIMEOUT_S = float(env("MUSIC_API_TIMEOUT_S", "30"))
MUSIC_API_STEM_TIMEOUT_S = float(env("MUSIC_API_STEM_TIMEOUT_S", "600"))
# Fernet keys that encrypt users' hosted-service API keys at rest, comma-separated: the first
# encrypts, all decrypt (rotate by prepending a new key, then `manage.py rotate_secrets`).
# Unset: one key derived from SECRET_KEY.
SECRET_ENCRYPTION_KEYS = [k.strip() for k in env("SECRET_ENCRYPTION_KEYS", "").split(",") if k.strip()]
# Signs the service's webhooks (X-Signature = HMAC-SHA256 of the raw body). Unset: webhooks are refused.
MUSIC_WEBHOOK_SECRET = env("MUSIC_WEBHOOK_SECRET", "")
# Users may point the server at their own music service: only public addresses unless the operator
# allows more. Off even under DEBUG: a make-run studio on a laptop is no proxy into its owner's network.
MUSIC_API_ALLOW_PRIVATE = env_bool("MUSIC_API_ALLOW_PRIVATE", False)
# A generate call whose answer was lost is looked up in the service's task list for this long.
GENERATION_LOOKUP_WINDOW_S = int(env("GENERATION_LOOKUP_WINDOW_S", "300"))
# A song the provider has not finished after this long is marked failed (with "try again").
GENERATION_GIVE_UP_AFTER_S = int(env("GENERATION_GIVE_UP_AFTER_S", "3600"))
# How often an open page asks for a job's progress ({% poll %}: songs, separations, personas, checks).
PAGE_POLL_INTERVAL_S = float(env("PAGE_POLL_INTERVAL_S", "2"))
# How often a generation's status may be asked of the provider, however many tabs poll.
GENERATION_POLL_INTERVAL_S = float(env("GENERATION_POLL_INTERVAL_S", "5"))
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "").rstrip("/")

# The built-in engine's own limits.
ENGINE_UPLOAD_MAX_MB = env_int("ENGINE_UPLOAD_MAX_MB", 50)
ENGINE_UPLOAD_TIMEOUT_S = float(env("ENGINE_UPLOAD_TIMEOUT_S", "30"))
# music/upload refuses loopback/private addresses unless this is True (development only).
ENGINE_UPLOAD_ALLOW_PRIVATE = env_bool("ENGINE_UPLOAD_ALLOW_PRIVATE", False)
ENGINE_MIN_VOICED_S = float(env("ENGINE_MIN_VOICED_S", "10"))
# Stock styles the persona fit compares (20: all of the register's; 1: the register's own, faster;
# see engine/voice/fit.py). 0 fits nothing: the persona keeps its measured range and sings with the
# stock voice (the app's tests).
ENGINE_PERSONA_FIT_EVALUATIONS = env_int("ENGINE_PERSONA_FIT_EVALUATIONS", 20)
# Who sings a song: "auto" (the neural singer when its weights are installed), "neural" or "formant"
# (eSpeak NG through WORLD: several times cheaper; the app-level tests sing with it).
ENGINE_SINGER = env("ENGINE_SINGER", "auto")
# The rate songs are rendered and delivered at.
ENGINE_RENDER_SR_HZ = env_int("ENGINE_RENDER_SR_HZ", 44100)
# The rate music/stem splits a clip at and keeps its stems at (the app's tests split at 22.05 kHz:
# REPET-SIM's cost grows with the square of the frames, 3x at 44.1 kHz).
ENGINE_STEM_SR_HZ = env_int("ENGINE_STEM_SR_HZ", 44100)
# Voice checks (the consent phrase compared with a clip's voice) one account may try per hour, in the
# studio and on the API each: enough for honest retakes, too few to search for a voice that passes.
VOICE_CHECKS_PER_HOUR = env_int("VOICE_CHECKS_PER_HOUR", 10)

# --- Quotas (helper-quotas) --------------------------------------------------------------------------------
# Per account, in the studio and on the API each (personastudio/quotas.py): how many songs, personas and
# vocal separations may start in an hour, and how many may be unfinished at once. 0 turns a limit off.
# The defaults are far above what a songwriter does; the API answers 429 with Retry-After past them.
SONGS_PER_HOUR = env_int("SONGS_PER_HOUR", 60)
SONGS_IN_FLIGHT = env_int("SONGS_IN_FLIGHT", 10)
PERSONAS_PER_HOUR = env_int("PERSONAS_PER_HOUR", 20)
PERSONAS_IN_FLIGHT = env_int("PERSONAS_IN_FLIGHT", 5)
SEPARATIONS_PER_HOUR = env_int("SEPARATIONS_PER_HOUR", 60)
SEPARATIONS_IN_FLIGHT = env_int("SEPARATIONS_IN_FLIGHT", 5)

# ---------------------------------------------------------------- Security headers and log-in throttling
# Log-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one
# address, logging in as that name from there is refused, even with the right password, for
# AXES_COOLOFF_MINUTES; the page says until when. Tries during a lock-out neither count nor extend it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out log-in before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "personastudio.accounts.views.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # successful log-ins are not recorded: only failures, until they expire
AXES_VERBOSE = False  # no banner on every manage.py command
# The client's address is REMOTE_ADDR (axes' default): behind a proxy every client shares the proxy's
# address, so the lock-out is then in effect per username.

# Content-Security-Policy (django-csp): scripts only from our own static files, never inline or eval'd.
# Styles: our files, plus <style> elements carrying the page's nonce (wavesurfer.js writes one into its
# player's shadow root; static/js/player.js hands it the nonce from <meta name="csp-nonce">).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.NONCE],
        # pico.css draws its checkmarks and arrows as data: SVGs.
        "img-src": [csp.SELF, "data:"],
        # a recording is played back from a blob: URL before it is uploaded
        "media-src": [csp.SELF, "blob:"],
        "connect-src": [csp.SELF],
        "font-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# HTTPS when DEBUG is off (`make run` keeps DEBUG on and serves plain http://127.0.0.1).
# SECURE_SSL_REDIRECT=False: a proxy in front terminates TLS and redirects http itself; then tell Django
# which header carries the scheme, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
if env("SECURE_PROXY_SSL_HEADER"):
    _header, _, _value = env("SECURE_PROXY_SSL_HEADER").partition(",")
    if not _header.startswith("HTTP_") or not _value:
        raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must look like HTTP_X_FORWARDED_PROTO,https")
    SECURE_PROXY_SSL_HEADER = (_header, _value)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
if not DEBUG and not SECURE_SSL_REDIRECT:
    # The operator said the proxy redirects http to https: the deploy check's reminder is answered.
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "security.W008"]


# --- Files and backup ------------------------------------------------------------------------------------
# Audio from outside (uploads, recordings, the API's music/upload and its audio_url, a hosted service's
# songs) is refused from its headers before any decoding, and decoding stops at the first frame past a
# limit (headers can lie). None of them refuses a phone's or a DAW's file:
# channels: 8 is 7.1 surround or an 8-track recorder's poly WAV (phones and DAW mixes have 1 or 2);
UPLOAD_MAX_CHANNELS = env_int("UPLOAD_MAX_CHANNELS", 8)
# sample rate: 192 kHz is the highest a common recorder or DAW exports (phones record 44.1 or 48 kHz);
UPLOAD_MAX_SAMPLE_RATE_HZ = env_int("UPLOAD_MAX_SAMPLE_RATE_HZ", 192_000)
# work: channels x sample rate for every second of the allowed length (CLIP_MAX_DURATION_S, or
# SONG_MAX_DURATION_S for songs): a full-length stereo file at 192 kHz, or 8 channels at 48 kHz, passes;
# 590 s of 8-channel 192 kHz audio (241 KB of FLAC silence) is four times over and refused unread.
UPLOAD_MAX_CHANNEL_SAMPLES_PER_S = env_int("UPLOAD_MAX_CHANNEL_SAMPLES_PER_S", 2 * 192_000)
# Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to this folder of ours (made when needed), so the
# sweep can remove what a killed upload left without touching anyone else's temporary files.
FILE_UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR", str(Path(tempfile.gettempdir()) / "personastudio-uploads"))
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "personastudio.uploads.StudioTemporaryFileUploadHandler",
]
# The sweep removes stray temporary files, and media files no row points to, once they are this old...
SWEEP_FILES_MIN_AGE_S = env_int("SWEEP_FILES_MIN_AGE_S", 24 * 3600)
# ...walking the media this often (on S3 a walk lists every object of the bucket).
SWEEP_FILES_INTERVAL_S = env_int("SWEEP_FILES_INTERVAL_S", 3600)
# `manage.py backup` / `restore` on PostgreSQL run these (from the PostgreSQL client of the server's version).
BACKUP_PG_DUMP = env("BACKUP_PG_DUMP", "pg_dump")
BACKUP_PG_RESTORE = env("BACKUP_PG_RESTORE", "pg_restore")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # axes: each log-in's bookkeeping is INFO; its failures and lock-outs are WARNING
    "loggers": {"django_tasks_db": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- Static files and cheap reads (helper-pages) ----------------------------------------------------------
# With DEBUG off, static files are served from STATIC_ROOT as `collectstatic` wrote them (`make run` and the
# deployment steps run it): WhiteNoise's compressed manifest storage gives each file a content-hashed name
# (cached for a year) and a gzip copy. Under DEBUG (make run's default, the tests) the plain storage
# and the finders above stay: an edited file shows at once.
STATIC_ROOT = Path(env("STATIC_ROOT", str(STATIC_ROOT)))  # where collectstatic writes, WhiteNoise reads
if not DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    WHITENOISE_USE_FINDERS = False
# An API key's last_used_at is written at most this often (seconds): most API calls are reads.
API_KEY_LAST_USED_EVERY_S = env_int("API_KEY_LAST_USED_EVERY_S", 60)
