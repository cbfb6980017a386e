<?php
// Baseline for the benchmark: the visit counter of cgi-bin/counter.ts with PHP's own file
// sessions (flock held for the whole request), run by php-cgi (Debian package php-cgi).
// The bench serves it as counter-php.cgi with the line `#!/usr/bin/php-cgi -dcgi.force_redirect=0`
// put in front: php-cgi refuses to run a script Apache did not reach through a redirect unless
// cgi.force_redirect is off, and a shebang argument turns it off for this script alone.
session_save_path(getenv('CGI_SESSION_DIR'));
session_start(['cookie_httponly' => true, 'gc_maxlifetime' => 1800]);
$previous = $_SESSION['visits'] ?? 0;
$count = $previous + 1;
$_SESSION['visits'] = $count;
header('Content-Type: text/html; charset=utf-8');
$plural = $count === 1 ? '' : 's';
?>
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Visit counter</title></head>
<body><h1>Visit counter</h1>
<p>You have visited this page <strong id="count"><?= $count ?></strong> time<?= $plural ?>.</p>
<p>Your browser sent its session cookie; the server read <code>{"visits": <?= $previous ?>}</code>,
stored <code>{"visits": <?= $count ?>}</code> and sent the page.</p>
<p>Reload to count again. Delete the cookie, or wait 30 minutes, and you start again at 1.</p>
</body></html>
