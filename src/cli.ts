console.log("imagegen");
