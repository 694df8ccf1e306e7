"""Tiny magic-bytes table and helpers used by filetriage.py (stdlib only)."""
import math

# (offset, magic bytes, file type, usual extensions)
SIGNATURES = [
    (0, b"MZ", "PE executable", {".exe", ".dll", ".sys", ".scr", ".com", ".cpl"}),
    (0, b"\x7fELF", "ELF executable", {"", ".so", ".elf", ".bin", ".o"}),
    (0, b"%PDF-", "PDF document", {".pdf"}),
    (0, b"PK\x03\x04", "ZIP archive", {".zip", ".jar", ".apk", ".docx", ".xlsx", ".pptx", ".odt"}),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 compound document", {".doc", ".xls", ".ppt", ".msi", ".msg"}),
    (0, b"Rar!\x1a\x07", "RAR archive", {".rar"}),
    (0, b"7z\xbc\xaf\x27\x1c", "7-Zip archive", {".7z"}),
    (0, b"\x1f\x8b", "GZIP archive", {".gz", ".tgz"}),
    (0, b"\x89PNG\r\n\x1a\n", "PNG image", {".png"}),
    (0, b"\xff\xd8\xff", "JPEG image", {".jpg", ".jpeg"}),
    (0, b"GIF8", "GIF image", {".gif"}),
    (0, b"{\\rtf", "RTF document", {".rtf", ".doc"}),
    (257, b"ustar", "TAR archive", {".tar"}),
]

# Byte patterns that deserve a second look, by file type (None: any type).
SUSPICIOUS_PATTERNS = {
    None: [b"powershell", b"cmd.exe /c", b"FromBase64String", b"WScript.Shell"],
    "PDF document": [b"/JavaScript", b"/JS", b"/OpenAction", b"/Launch", b"/EmbeddedFile"],
    "OLE2 compound document": [b"VBA", b"AutoOpen", b"Document_Open"],
}


def identify(head):
    """File type and expected extensions for the first bytes of a file."""
    for offset, magic, name, extensions in SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return name, extensions
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:512]):
        return "ASCII text", {".txt", ".csv", ".log", ".json", ".xml", ".html", ".eml", ".ps1", ".js", ".vbs", ".bat"}
    return "data", set()


def shannon_entropy(content):
    """Shannon entropy in bits per byte (0.0 to 8.0)."""
    if not content:
        return 0.0
    counts = [0] * 256
    for byte in content:
        counts[byte] += 1
    total = len(content)
    return -sum(c / total * math.log2(c / total) for c in counts if c)


def find_patterns(content, file_type):
    patterns = SUSPICIOUS_PATTERNS[None] + SUSPICIOUS_PATTERNS.get(file_type, [])
    lowered = content.lower()
    return sorted({p.decode() for p in patterns if p.lower() in lowered})
