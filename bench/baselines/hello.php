<?php
// Baseline for the FastCGI benchmark: cgi-bin/hello.ts in PHP, the same bytes, run by PHP-FPM.
$name = isset($_GET['name']) && $_GET['name'] !== '' ? $_GET['name'] : 'world';
header('Content-Type: text/html; charset=utf-8');
?>
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>
<body><h1>Hello, <?= htmlspecialchars($name, ENT_QUOTES) ?>!</h1>
<p>This page was printed by a CGI script: it read <code>QUERY_STRING</code> from its environment
and wrote a header block, a blank line and this HTML to its standard output.</p></body></html>
