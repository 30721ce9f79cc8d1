document.querySelector('h1').title = 'served by a socket program';
