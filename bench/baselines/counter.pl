#!/usr/bin/perl
# Baseline for the benchmark: the visit counter of cgi-bin/counter.ts written the way Perl CGI
# scripts usually keep sessions, with CGI.pm and CGI::Session's file driver (Debian packages
# libcgi-session-perl and libcgi-pm-perl). Sessions live in CGI_SESSION_DIR as cgisess_<id>.
use strict;
use warnings;
use CGI;
use CGI::Session;

my $cgi = CGI->new;
my $session = CGI::Session->new('driver:file', $cgi, { Directory => $ENV{CGI_SESSION_DIR} })
  or die CGI::Session->errstr;
$session->expire('+30m');
my $previous = $session->param('visits') // 0;
my $count = $previous + 1;
$session->param('visits', $count);
$session->flush or die $session->errstr;

my $plural = $count == 1 ? '' : 's';
print $session->header(-type => 'text/html', -charset => 'utf-8', -cache_control => 'no-store');
print <<"HTML";
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Visit counter</title></head>
<body><h1>Visit counter</h1>
<p>You have visited this page <strong id="count">$count</strong> time$plural.</p>
<p>Your browser sent its session cookie; the server read <code>{"visits": $previous}</code>,
stored <code>{"visits": $count}</code> and sent the page.</p>
<p>Reload to count again. Delete the cookie, or wait 30 minutes, and you start again at 1.</p>
</body></html>
HTML
