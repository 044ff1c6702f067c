//! The sandbox at import time: lessons import only the modules lessonrun provides (math, random,
//! torch...). A module that exists in CPython's standard library or in the reference
//! environment gets an ImportError that says why; an unknown name, or a third-party package the
//! reference environment lacks too (torchvision, pandas), gets CPython's plain message.
//!
//! There is nothing else to enforce: the interpreter has no API for files, sockets, processes or
//! the environment (`input` is not a builtin, so using it is a NameError; `open` reads only through the
//! host's reader, and `exec`/`eval` run strings through the same interpreter).

/// CPython 3.11's `sys.stdlib_module_names` (public ones) and packages tutorials often import.
const KNOWN: &[&str] = &[
    "IPython", "PIL", "abc", "aifc", "antigravity", "argparse", "array", "ast", "asynchat",
    "asyncio", "asyncore", "atexit", "audioop", "base64", "bdb", "binascii", "bisect", "builtins",
    "bz2", "cProfile", "calendar", "cgi", "cgitb", "chunk", "cmath", "cmd", "code", "codecs",
    "codeop", "collections", "colorsys", "compileall", "concurrent", "configparser", "contextlib",
    "contextvars", "copy", "copyreg", "crypt", "csv", "ctypes", "curses", "cv2", "dataclasses",
    "datasets", "datetime", "dbm", "decimal", "difflib", "dis", "distutils", "doctest", "email",
    "encodings", "ensurepip", "enum", "errno", "faulthandler", "fcntl", "filecmp", "fileinput",
    "fnmatch", "fractions", "ftplib", "functools", "gc", "genericpath", "getopt", "getpass",
    "gettext", "glob", "graphlib", "grp", "gzip", "h5py", "hashlib", "heapq", "hmac", "html",
    "http", "idlelib", "imaplib", "imghdr", "imp", "importlib", "inspect", "io", "ipaddress",
    "itertools", "jax", "json", "keras", "keyword", "lib2to3", "linecache", "locale", "logging",
    "lzma", "mailbox", "mailcap", "marshal", "math", "matplotlib", "mimetypes", "mmap",
    "modulefinder", "msilib", "msvcrt", "multiprocessing", "netrc", "nis", "nntplib", "nt",
    "ntpath", "nturl2path", "numba", "numbers", "numpy", "opcode", "operator", "optparse", "os",
    "ossaudiodev", "pandas", "pathlib", "pdb", "pickle", "pickletools", "pipes", "pkgutil",
    "platform", "plistlib", "poplib", "posix", "posixpath", "pprint", "profile", "pstats", "pty",
    "pwd", "py_compile", "pyclbr", "pydoc", "pydoc_data", "pyexpat", "pytest", "queue", "quopri",
    "random", "re", "readline", "reprlib", "requests", "resource", "rlcompleter", "runpy", "sched",
    "scipy", "seaborn", "secrets", "select", "selectors", "shelve", "shlex", "shutil", "signal",
    "site", "sklearn", "smtpd", "smtplib", "sndhdr", "socket", "socketserver", "spwd", "sqlite3",
    "sre_compile", "sre_constants", "sre_parse", "ssl", "stat", "statistics", "string",
    "stringprep", "struct", "subprocess", "sunau", "sympy", "symtable", "sys", "sysconfig",
    "syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "tensorflow", "termios", "textwrap",
    "this", "threading", "time", "timeit", "tkinter", "token", "tokenize", "tomllib", "torchaudio",
    "torchtext", "torchvision", "tqdm", "trace", "traceback", "tracemalloc", "transformers", "tty",
    "turtle", "turtledemo", "types", "typing", "unicodedata", "unittest", "urllib", "uu", "uuid",
    "venv", "warnings", "wave", "weakref", "webbrowser", "winreg", "winsound", "wsgiref", "xdrlib",
    "xml", "xmlrpc", "yaml", "zipapp", "zipfile", "zipimport", "zlib", "zoneinfo",
];

/// Third-party packages of `KNOWN` that the reference environment (torch-oracle's: torch,
/// numpy, matplotlib, IPython) does not have either: importing one fails there with CPython's
/// plain message, so a cell that tries prints exactly that here too.
const ABSENT_IN_REFERENCE: &[&str] = &[
    "PIL", "cv2", "datasets", "h5py", "jax", "keras", "numba", "pandas", "pytest", "requests",
    "scipy", "seaborn", "sklearn", "sympy", "tensorflow", "torchaudio", "torchtext", "torchvision",
    "tqdm", "transformers", "yaml",
];

/// The message for `import name` when lessonrun does not provide it; `available` lists what
/// lessons can import.
pub fn missing_module_message(name: &str, available: &[String]) -> String {
    let top = name.split('.').next().unwrap_or(name);
    if KNOWN.binary_search(&top).is_ok() && !ABSENT_IN_REFERENCE.contains(&top) {
        format!(
            "No module named '{name}': it is not available in lessons (lessons can import {})",
            available.join(", ")
        )
    } else {
        format!("No module named '{name}'")
    }
}
